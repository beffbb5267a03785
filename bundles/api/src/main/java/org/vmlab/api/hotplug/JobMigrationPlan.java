package org.vmlab.api.hotplug;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A coordinated migration of every VM of a job through this node's own receiver.
 *
 * @param vms     the job's VMs, at least one, no repeats
 * @param engine  the transfer engine for every VM (e.g. {@code precopy}, {@code postcopy}), or
 *                null for the family default
 * @param options engine options for every VM
 * @param verify  whether each destination's memory is compared with its source at the switchover
 * @param timeout the most each cooperation step (quiesce, detach, attach, resume) may take
 * @since 1.1
 */
public record JobMigrationPlan(List<String> vms, String engine, Map<String, String> options, boolean verify,
                               Duration timeout) {
    public JobMigrationPlan {
        vms = List.copyOf(vms);
        if (vms.isEmpty() || vms.stream().distinct().count() != vms.size()) {
            throw new IllegalArgumentException("a job needs at least one VM, each named once: " + vms);
        }
        options = options == null ? Map.of() : Map.copyOf(options);
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be > 0: " + timeout);
        }
    }
}
