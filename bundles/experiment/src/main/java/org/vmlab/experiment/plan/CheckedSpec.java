package org.vmlab.experiment.plan;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

import org.vmlab.api.experiment.ExperimentPlan;
import org.vmlab.api.experiment.PlannedRun;
import org.vmlab.experiment.spec.Spec;

/**
 * A spec every run of which was checked against what is installed: ready to run.
 *
 * @param spec        the spec as read
 * @param plan        the runs, in the order they run
 * @param configs     each configuration filled in, in plan order
 * @param baseline    the spec's baseline values as a label, e.g. {@code fault-mode=blocking}
 * @param baselines   each configuration's label → its baseline's label (a baseline maps to itself);
 *                    a configuration without one is absent
 * @param repetitions runs of each configuration
 * @param warmup      how long VMs run before the steps
 * @param timeout     the longest one run may take
 */
public record CheckedSpec(Spec spec, ExperimentPlan plan, List<RunConfig> configs, String baseline,
                          java.util.Map<String, String> baselines,
                          int repetitions, Duration warmup, Duration timeout) {
    public CheckedSpec {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(plan, "plan");
        configs = List.copyOf(configs);
        Objects.requireNonNull(baseline, "baseline");
        baselines = java.util.Map.copyOf(baselines);
    }

    /** The configuration a planned run belongs to. */
    public RunConfig config(PlannedRun run) {
        return configs.stream().filter(c -> c.label().equals(run.config())).findFirst().orElseThrow();
    }
}
