package org.vmlab.experiment.plan;

import java.util.List;
import java.util.Optional;

import org.vmlab.experiment.spec.Spec;

/** Checks that a metric name refers to something a run of the spec records. */
final class MetricNames {
    private MetricNames() {
    }

    static void check(Spec spec, String pointer, String metric, RunConfig config) {
        int dot = metric == null ? -1 : metric.indexOf('.');
        if (dot <= 0 || dot == metric.length() - 1) {
            throw spec.error(pointer, "a metric is '<step id>.<field>' or '<vm>.<field>', e.g. migrate.downtimeMs, not '" + metric + "'");
        }
        String owner = metric.substring(0, dot);
        String field = metric.substring(dot + 1);
        Optional<Step> step = config.steps().stream().filter(s -> s.id().equals(owner)).findFirst();
        if (step.isPresent()) {
            if ("migrate".equals(step.get().kind()) && !Metrics.REPORT.contains(field)) {
                throw spec.error(pointer, "a migration step records " + String.join(", ", Metrics.REPORT) + "; not '" + field + "'");
            }
            if (!step.get().isAction()) {
                throw spec.error(pointer, "step '" + owner + "' is a " + step.get().kind() + " and records nothing");
            }
            return;
        }
        if (config.vms().stream().anyMatch(v -> v.name().equals(owner))) {
            if (!Metrics.GUEST.contains(field)) {
                throw spec.error(pointer, "a VM records " + String.join(", ", Metrics.GUEST) + "; not '" + field + "'");
            }
            return;
        }
        throw spec.error(pointer, "no step or VM '" + owner + "'; steps: " + String.join(", ", StepReader.ids(config.steps()))
                + "; VMs: " + String.join(", ", config.vms().stream().map(VmPlan::name).toList()));
    }

    /** The columns of a series, or empty if the spec records no such series. */
    static Optional<List<String>> columns(String series, RunConfig config) {
        if (Metrics.THROUGHPUT.equals(series)) {
            return Optional.of(Metrics.THROUGHPUT_COLUMNS);
        }
        if (series != null && series.endsWith(".timeline")) {
            String id = series.substring(0, series.length() - ".timeline".length());
            if (config.steps().stream().anyMatch(s -> s.id().equals(id) && s.isAction())) {
                return Optional.of(Metrics.TIMELINE_COLUMNS);
            }
        }
        if (series != null && series.endsWith(Metrics.LATENCY)) {
            String id = series.substring(0, series.length() - Metrics.LATENCY.length());
            if (config.steps().stream().anyMatch(s -> s.id().equals(id) && Metrics.KVS_LOAD.equals(s.kind()))) {
                return Optional.of(Metrics.LATENCY_COLUMNS);
            }
        }
        return Optional.empty();
    }
}
