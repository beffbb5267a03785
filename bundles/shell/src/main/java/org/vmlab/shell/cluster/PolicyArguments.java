package org.vmlab.shell.cluster;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.provider.ProviderInfo;

/**
 * A placement policy's options from the command line: {@code name=value} words, and bare words
 * given to the policy's options in the order it declares them ({@code cluster:plan evacuate B}
 * is {@code node=B}).
 */
final class PolicyArguments {
    private PolicyArguments() {
    }

    static Map<String, String> parse(ProviderInfo policy, List<String> words) {
        Map<String, String> options = new LinkedHashMap<>();
        List<Parameter> declared = policy.settings();
        int next = 0;
        for (String w : words == null ? List.<String>of() : words) {
            int eq = w.indexOf('=');
            if (eq > 0) {
                options.put(w.substring(0, eq), w.substring(eq + 1));
                continue;
            }
            while (next < declared.size() && options.containsKey(declared.get(next).name())) {
                next++;
            }
            if (next >= declared.size()) {
                throw new IllegalArgumentException("placement policy '" + policy.name() + "' takes "
                        + (declared.isEmpty() ? "no options" : "only " + declared.stream().map(Parameter::name).toList())
                        + "; '" + w + "' is one value too many");
            }
            options.put(declared.get(next++).name(), w);
        }
        return options;
    }
}
