package org.vmlab.api.experiment;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A checked spec, expanded into its runs.
 *
 * @param name        the spec's name (the run id starts with it)
 * @param title       one line saying what it shows
 * @param figure      the figure it reproduces, or empty
 * @param spec        the spec file
 * @param runs        every run in the order they run, copied
 * @param metrics     what each run measures, in spec order
 */
public record ExperimentPlan(String name, String title, String figure, Path spec, List<PlannedRun> runs,
                             List<String> metrics) {
    public ExperimentPlan {
        Objects.requireNonNull(name, "name");
        title = title == null ? "" : title;
        figure = figure == null ? "" : figure;
        Objects.requireNonNull(spec, "spec");
        runs = List.copyOf(runs);
        metrics = List.copyOf(metrics);
    }

    /** The distinct configuration labels, in plan order. */
    public List<String> configs() {
        return runs.stream().map(PlannedRun::config).distinct().toList();
    }
}
