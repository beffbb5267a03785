package org.vmlab.experiment.plan;

import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import org.vmlab.experiment.spec.Spec;

/**
 * {@code if: {variable: value, ...}} on a VM or a step: it exists only in the configurations
 * with those values, so one spec can give a web and a database guest each their own parameters.
 */
final class Conditions {
    static final String KEY = "if";

    private Conditions() {
    }

    static boolean applies(Spec spec, String pointer, JsonNode template, Map<String, String> values) {
        JsonNode cond = template == null ? null : template.get(KEY);
        if (cond == null || cond.isNull()) {
            return true;
        }
        if (!cond.isObject() || cond.isEmpty()) {
            throw spec.error(pointer + "/" + KEY, "'if' is a mapping of variables to values, e.g. {workload: web}");
        }
        boolean all = true;
        for (Iterator<Map.Entry<String, JsonNode>> it = cond.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!values.containsKey(e.getKey())) {
                throw spec.error(pointer + "/" + KEY + "/" + e.getKey(), "'" + e.getKey() + "' is not a variable of this configuration"
                        + (values.isEmpty() ? "" : "; variables: " + String.join(", ", values.keySet())));
            }
            all &= e.getValue().isValueNode() && e.getValue().asText().equals(values.get(e.getKey()));
        }
        return all;
    }
}
