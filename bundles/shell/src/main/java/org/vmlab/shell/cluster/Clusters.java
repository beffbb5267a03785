package org.vmlab.shell.cluster;

import org.vmlab.api.cluster.Cluster;
import org.vmlab.api.placement.PlacementService;

/** The cluster commands' common precondition. */
public final class Clusters {
    private Clusters() {
    }

    /** The cluster service, or one sentence saying how to get one. */
    public static Cluster require(Cluster cluster) {
        return present(cluster);
    }

    /** The placement service (there only while the node is in a cluster), or the same sentence. */
    public static PlacementService require(PlacementService placement) {
        return present(placement);
    }

    private static <T> T present(T service) {
        if (service == null) {
            throw new IllegalStateException("this node is not in a cluster: write etc/org.vmlab.cluster.cfg"
                    + " (name, node, host, port, members; see the README) and the vmlab-cluster feature starts it");
        }
        return service;
    }
}
