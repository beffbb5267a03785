package org.vmlab.shell.hotplug;

import java.io.PrintStream;
import java.util.Map;

import org.vmlab.api.hotplug.JobPhase;
import org.vmlab.api.hotplug.JobReport;
import org.vmlab.api.migration.MigrationReport;

/** Text form of a job report: the phases as they end, then the phase costs and each rank's state. */
final class JobReports {
    private JobReports() {
    }

    static String line(JobPhase p) {
        return String.format("%7d ms  %-10s %-12s %6d ms  %s", p.startMs(), p.phase(), p.vmId(), p.durationMs(), p.detail());
    }

    static void print(JobReport r, PrintStream out) {
        out.printf("job %s of %s: total %d ms, job downtime %d ms%s%n", r.operation(), String.join(", ", r.vms()),
                r.totalMs(), r.jobDowntimeMs(), r.barrier() >= 0 ? ", barrier at iteration " + r.barrier() : "");
        StringBuilder costs = new StringBuilder("phases:");
        for (String phase : new String[] {"quiesce", "detach", "migrate", "checkpoint", "restore", "attach", "resume"}) {
            long ms = r.phaseMs(phase);
            if (r.phases().stream().anyMatch(p -> p.phase().equals(phase))) {
                costs.append(' ').append(phase).append(' ').append(ms).append(" ms");
            }
        }
        out.println(costs);
        for (MigrationReport m : r.migrations()) {
            out.printf("  %s: %s %s, downtime %d ms, total %d ms, verified %s%n", m.vmId(), m.engine(),
                    m.status().name().toLowerCase(), m.downtimeMs(), m.totalTimeMs(), m.verified().name().toLowerCase());
        }
        for (Map.Entry<String, Map<String, String>> e : r.ranks().entrySet()) {
            Map<String, String> v = e.getValue();
            out.printf("  %s: rank %s at iteration %s, path %s, delivered %s, lost %s%n", e.getKey(), v.get("rank"),
                    v.get("iteration"), v.get("path"), v.get("delivered"), v.get("lost"));
        }
    }
}
