package org.vmlab.api.cluster;

import java.util.Objects;

import org.vmlab.api.migration.Endpoint;

/**
 * One node as the cluster sees it.
 *
 * @param name         the node's configured name
 * @param member       the address its cluster engine listens on ({@code host:port})
 * @param state        whether it is a member now
 * @param vmlabVersion version of the vmlab build it runs
 * @param dataPlane    the migration receiver it advertises, or {@code null} if it runs none
 * @param cpus         the CPUs it offers to VMs
 * @param memoryBytes  the memory it offers to VMs
 * @param freeBytes    {@code memoryBytes} less the memory of its VMs
 * @param hostFreeBytes free physical memory of its host, as the operating system reports it
 * @param vms          how many VMs it runs
 * @param cpuLoad      the vCPUs its VMs keep busy (measured CPU time, in CPUs)
 * @param updatedMillis when it last published this (epoch milliseconds)
 */
public record ClusterNode(String name, String member, NodeState state, String vmlabVersion, Endpoint dataPlane,
                          int cpus, long memoryBytes, long freeBytes, long hostFreeBytes, int vms, double cpuLoad,
                          long updatedMillis) {
    public ClusterNode {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
    }

    /** A member now, or gone. */
    public enum NodeState {
        UP, GONE
    }

    public ClusterNode withState(NodeState s) {
        return new ClusterNode(name, member, s, vmlabVersion, dataPlane, cpus, memoryBytes, freeBytes, hostFreeBytes,
                vms, cpuLoad, updatedMillis);
    }
}
