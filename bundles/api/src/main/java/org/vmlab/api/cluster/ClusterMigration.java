package org.vmlab.api.cluster;

import java.util.Objects;

/**
 * A migration as the node that runs it (its source) publishes it.
 *
 * @param id            the migration id on its node
 * @param vm            the VM moved
 * @param node          the source node
 * @param destination   the destination node's name if known, else its receiver {@code host:port}
 * @param engine        the engine
 * @param status        {@code running}, {@code completed}, {@code failed}, ...
 * @param bytesNetwork  bytes on the network so far or in all
 * @param totalTimeMs   duration so far or in all
 * @param verified      the verification outcome, or {@code -}
 * @param lost          whether its node left the cluster
 * @param updatedMillis when its node last published it
 */
public record ClusterMigration(String id, String vm, String node, String destination, String engine, String status,
                               long bytesNetwork, long totalTimeMs, String verified, boolean lost,
                               long updatedMillis) {
    public ClusterMigration {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(node, "node");
    }

    public ClusterMigration asLost() {
        return new ClusterMigration(id, vm, node, destination, engine, status, bytesNetwork, totalTimeMs, verified,
                true, updatedMillis);
    }
}
