package org.vmlab.experiment.plan;

import java.util.Map;
import java.util.Objects;

/**
 * One VM of a configuration, checked.
 *
 * @param name        the spec's name for it
 * @param backend     the backend, or {@code null} for the default
 * @param memoryBytes guest memory
 * @param vcpus       vCPUs
 * @param diskBytes   a fresh disk of this size, or 0 for none
 * @param randomDisk  whether the fresh disk is filled with seeded pseudo-random bytes
 * @param workload    the workload, or {@code null} for idle
 * @param params      the workload's parameters as given
 */
public record VmPlan(String name, String backend, long memoryBytes, int vcpus, long diskBytes, boolean randomDisk,
                     String workload,
                     Map<String, String> params) {
    public VmPlan {
        Objects.requireNonNull(name, "name");
        params = params == null ? Map.of() : Map.copyOf(params);
    }
}
