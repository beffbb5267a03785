package org.vmlab.api.placement;

import java.util.List;
import java.util.Objects;

import org.vmlab.api.parameter.ParameterValues;

/**
 * What a placement policy plans from: the nodes that may receive VMs, the VMs with their load,
 * and the policy's own options, checked and with their defaults.
 */
public record PlacementInput(List<NodeCapacity> nodes, List<VmDemand> vms, ParameterValues options) {
    public PlacementInput {
        nodes = List.copyOf(nodes);
        vms = List.copyOf(vms);
        Objects.requireNonNull(options, "options");
    }

    /**
     * A node and what it offers to VMs.
     *
     * @param name        the node name
     * @param cpus        CPUs offered
     * @param memoryBytes memory offered
     */
    public record NodeCapacity(String name, int cpus, long memoryBytes) {
        public NodeCapacity {
            Objects.requireNonNull(name, "name");
        }
    }

    /**
     * A VM and what it uses.
     *
     * @param id          the VM id
     * @param node        where it runs now
     * @param memoryBytes its guest memory
     * @param vcpus       its vCPUs
     * @param cpuLoad     the CPUs it keeps busy (0 to {@code vcpus})
     */
    public record VmDemand(String id, String node, long memoryBytes, int vcpus, double cpuLoad) {
        public VmDemand {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(node, "node");
        }
    }
}
