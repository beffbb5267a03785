package org.vmlab.api.hotplug;

import java.util.Objects;

/**
 * One phase of a coordinated job operation, for the whole job ({@code vmId} = {@code "job"}) or
 * one of its VMs.
 *
 * @param phase      {@code quiesce}, {@code detach}, {@code migrate}, {@code checkpoint},
 *                   {@code restore}, {@code attach} or {@code resume}
 * @param vmId       the VM, or {@code "job"} for the span over all VMs
 * @param startMs    when it began, in ms since the operation began
 * @param durationMs how long it took
 * @param detail     one line, e.g. the barrier iteration or the migration's downtime; may be empty
 * @since 1.1
 */
public record JobPhase(String phase, String vmId, long startMs, long durationMs, String detail) {
    public static final String JOB = "job";

    public JobPhase {
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(vmId, "vmId");
        detail = Objects.requireNonNullElse(detail, "");
    }
}
