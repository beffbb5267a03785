package org.vmlab.api.hotplug;

import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.vmlab.api.migration.MigrationReport;

/**
 * How a coordinated job operation went.
 *
 * @param operation     {@code migrate}, {@code checkpoint} or {@code restart}
 * @param vms           the job's VMs afterwards (ids change when a VM moves on the same node)
 * @param phases        the timeline: job-wide spans and per-VM phases, in start order
 * @param totalMs       from the first request to the last resume
 * @param jobDowntimeMs how long the job made no progress: from the barrier it held at to resume
 * @param barrier       the iteration every rank held at, or -1 without cooperating agents
 * @param migrations    the per-VM migration reports (empty unless migrating)
 * @param ranks         what each VM's agent reported on resume (iteration, delivered, lost, result)
 * @since 1.1
 */
public record JobReport(String operation, List<String> vms, List<JobPhase> phases, long totalMs,
                        long jobDowntimeMs, long barrier, List<MigrationReport> migrations,
                        Map<String, Map<String, String>> ranks) {
    public JobReport {
        Objects.requireNonNull(operation, "operation");
        vms = List.copyOf(vms);
        phases = List.copyOf(phases);
        migrations = List.copyOf(migrations);
        ranks = Map.copyOf(ranks);
    }

    /** The job-wide span of {@code phase}, in ms; 0 if it did not happen. */
    public long phaseMs(String phase) {
        return phases.stream().filter(p -> p.phase().equals(phase) && p.vmId().equals(JobPhase.JOB))
                .mapToLong(JobPhase::durationMs).sum();
    }
}
