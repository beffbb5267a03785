package org.vmlab.shell.cluster;

import org.vmlab.api.cluster.Cluster;

/** The cluster commands' common precondition. */
public final class Clusters {
    private Clusters() {
    }

    /** The cluster service, or one sentence saying how to get one. */
    public static Cluster require(Cluster cluster) {
        if (cluster == null) {
            throw new IllegalStateException("this node is not in a cluster: write etc/org.vmlab.cluster.cfg"
                    + " (name, node, host, port, members; see the README) and the vmlab-cluster feature starts it");
        }
        return cluster;
    }
}
