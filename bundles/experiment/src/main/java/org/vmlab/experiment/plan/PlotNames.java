package org.vmlab.experiment.plan;

import org.vmlab.experiment.spec.SpecFile.PlotDecl;

/** The file name (without extension) a plot is written under. */
public final class PlotNames {
    private PlotNames() {
    }

    public static String of(PlotDecl d) {
        if (d.name() != null && !d.name().isBlank()) {
            return safe(d.name());
        }
        String what = switch (d.kind()) {
            case "bars", "sweep" -> d.metric();
            default -> (d.series() == null ? Metrics.THROUGHPUT : d.series()) + "-" + column(d);
        };
        return safe(d.kind() + "-" + what);
    }

    /** The series column a timeseries, cdf or histogram shows. */
    public static String column(PlotDecl d) {
        if (d.column() != null) {
            return d.column();
        }
        if (d.series() != null && d.series().endsWith(Metrics.LATENCY)) {
            return "latencyMicros";
        }
        return d.series() == null || Metrics.THROUGHPUT.equals(d.series()) ? "opsPerSecond" : "guestOpsPerSecond";
    }

    private static String safe(String s) {
        return s.replaceAll("[^A-Za-z0-9_.-]+", "_");
    }
}
