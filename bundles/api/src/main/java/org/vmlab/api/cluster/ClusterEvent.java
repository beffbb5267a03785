package org.vmlab.api.cluster;

import java.util.Objects;

/**
 * Something that happened to the cluster, as this node saw it.
 *
 * @param type       what happened
 * @param node       the node it happened to (the new leader for {@code LEADER_CHANGED})
 * @param epoch      the leadership epoch after it, as far as this node knew then
 * @param timeMillis when this node learned it
 * @param detail     one line, e.g. how many VMs were marked lost
 */
public record ClusterEvent(Type type, String node, long epoch, long timeMillis, String detail) {
    public ClusterEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(node, "node");
        detail = detail == null ? "" : detail;
    }

    public enum Type {
        NODE_JOINED, NODE_LEFT, LEADER_CHANGED
    }
}
