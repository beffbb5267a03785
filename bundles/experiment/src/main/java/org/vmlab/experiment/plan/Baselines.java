package org.vmlab.experiment.plan;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which configuration each configuration is compared with: the one that has the spec's baseline
 * values and the configuration's own values of every other variable. With baseline
 * {@code fault-mode: blocking}, {@code workload=database,fault-mode=cooperative} is compared with
 * {@code workload=database,fault-mode=blocking}.
 */
final class Baselines {
    private Baselines() {
    }

    /** Each configuration's label → its baseline's label, for those that have one. */
    static Map<String, String> of(List<Map<String, String>> configs, Map<String, String> wanted) {
        Map<String, String> out = new HashMap<>();
        for (Map<String, String> c : configs) {
            Map<String, String> target = new LinkedHashMap<>(c);
            wanted.forEach((k, v) -> {
                if (target.containsKey(k)) {
                    target.put(k, v);
                }
            });
            configs.stream().filter(x -> x.equals(target) && matches(x, wanted)).findFirst()
                    .ifPresent(b -> out.put(Sweep.label(c), Sweep.label(b)));
        }
        return out;
    }

    static boolean matches(Map<String, String> config, Map<String, String> wanted) {
        return wanted.entrySet().stream().allMatch(e -> e.getValue() != null && e.getValue().equals(config.get(e.getKey())));
    }
}
