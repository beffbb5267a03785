package org.vmlab.experiment.action;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.parameter.ParameterSet;
import org.vmlab.api.parameter.ParameterValues;

/**
 * A step's settings split in two: the action's own, and those under {@code options}, which go to
 * the provider the action drives (an engine's, the KVS's) and are checked against its description.
 */
final class StepSettings {
    private static final String OPTION = "options.";

    private StepSettings() {
    }

    /** The action's own settings, checked against its parameters. */
    static ParameterValues own(String action, List<Parameter> parameters, Map<String, String> settings) {
        Map<String, String> own = new LinkedHashMap<>(settings);
        own.keySet().removeIf(k -> k.startsWith(OPTION));
        return ParameterSet.options("action '" + action + "'", parameters).validate(own);
    }

    /** The settings under {@code options}, without that prefix. */
    static Map<String, String> options(Map<String, String> settings) {
        Map<String, String> out = new LinkedHashMap<>();
        settings.forEach((k, val) -> {
            if (k.startsWith(OPTION)) {
                out.put(k.substring(OPTION.length()), val);
            }
        });
        return out;
    }
}
