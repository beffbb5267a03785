package org.vmlab.api.cluster;

import java.util.Objects;

/**
 * A VM as its node publishes it to the cluster.
 *
 * @param id            the VM id (unique on its node)
 * @param node          the node that runs it
 * @param backend       {@code emu}, {@code qemu}, ...
 * @param state         its state there ({@code RUNNING}, {@code PAUSED}, ...)
 * @param memoryBytes   guest memory
 * @param vcpus         vCPUs
 * @param workload      the workload name, or {@code -}
 * @param cpuLoad       the vCPUs it keeps busy (measured over the last seconds)
 * @param lost          whether its node left the cluster: the record is kept, not deleted
 * @param updatedMillis when its node last published it
 */
public record ClusterVm(String id, String node, String backend, String state, long memoryBytes, int vcpus,
                        String workload, double cpuLoad, boolean lost, long updatedMillis) {
    public ClusterVm {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(node, "node");
    }

    public ClusterVm asLost() {
        return new ClusterVm(id, node, backend, state, memoryBytes, vcpus, workload, cpuLoad, true, updatedMillis);
    }
}
