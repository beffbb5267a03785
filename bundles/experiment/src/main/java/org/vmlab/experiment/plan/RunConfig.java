package org.vmlab.experiment.plan;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One configuration of the sweep with its template filled in and checked.
 *
 * @param label    e.g. {@code ordering=update-history}
 * @param values   its variables
 * @param baseline whether it is the spec's baseline
 * @param vms      the VMs each run of it creates
 * @param steps    what each run of it does
 */
public record RunConfig(String label, Map<String, String> values, boolean baseline, List<VmPlan> vms, List<Step> steps) {
    public RunConfig {
        Objects.requireNonNull(label, "label");
        values = values == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
        vms = List.copyOf(vms);
        steps = List.copyOf(steps);
    }
}
