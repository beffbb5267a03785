package org.vmlab.api.cluster;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;
import org.vmlab.api.migration.Endpoint;

/**
 * This node's membership in a vmlab cluster and the cluster-wide view: registered only while the
 * node is configured as a cluster member ({@code etc/org.vmlab.cluster.cfg}).
 */
@ProviderType
public interface Cluster {

    /** The cluster's name, as configured. */
    String name();

    /** This node's name, unique in the cluster. */
    String localNode();

    /** Every node this node knows of: members now, and nodes that left (state {@code GONE}). */
    List<ClusterNode> nodes();

    default Optional<ClusterNode> node(String name) {
        return nodes().stream().filter(n -> n.name().equals(name)).findFirst();
    }

    /** The VMs of every node, including those of nodes that left (marked lost). */
    List<ClusterVm> vms();

    /** The migrations every node ran or runs, including those of nodes that left (marked lost). */
    List<ClusterMigration> migrations();

    /** Who leads now, and the epoch of that leadership as this node sees it. */
    Leadership leadership();

    /**
     * The data-plane endpoint the named node advertises, for {@code migration:start --to NODE}.
     *
     * @throws org.vmlab.api.VmlabException naming the nodes there are, if no member has that name
     */
    Endpoint dataPlane(String node);

    /** The latest membership and leadership events, oldest first (a bounded history). */
    List<ClusterEvent> events();
}
