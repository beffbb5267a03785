package org.vmlab.shell.cluster;

import java.util.List;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.cluster.Cluster;
import org.vmlab.api.cluster.ClusterNode;
import org.vmlab.api.cluster.Leadership;
import org.vmlab.shell.support.Json;

@Service
@Command(scope = "cluster", name = "nodes", description = "Lists the cluster's nodes: state, vmlab version, VMs, "
        + "free memory, CPU load and the data-plane endpoint each advertises; the leader and its epoch.")
public class ClusterNodesCommand implements Action {
    @Reference(optional = true)
    Cluster cluster;

    @Option(name = "--json", description = "Print one JSON object: cluster, local node, leadership, nodes")
    boolean json;

    @Override
    public Object execute() {
        Cluster c = Clusters.require(cluster);
        List<ClusterNode> nodes = c.nodes();
        Leadership l = c.leadership();
        if (json) {
            System.out.println(Json.write(Json.object("cluster", c.name(), "local", c.localNode(), "leadership", l,
                    "nodes", nodes)));
            return null;
        }
        long up = nodes.stream().filter(n -> n.state() == ClusterNode.NodeState.UP).count();
        System.out.printf("Cluster '%s', this node %s: %d up of %d known; leader %s, epoch %d%s%n", c.name(),
                c.localNode(), up, nodes.size(), l.leader(), l.epoch(),
                l.hasQuorum() ? "" : " (below the quorum of " + l.quorum() + ": the leader does not act)");
        ShellTable table = new ShellTable();
        table.column("Node");
        table.column("State");
        table.column("Member");
        table.column("Version");
        table.column("VMs").alignRight();
        table.column("CPU load").alignRight();
        table.column("Free for VMs MiB").alignRight();
        table.column("Host free MiB").alignRight();
        table.column("Data plane");
        for (ClusterNode n : nodes) {
            table.addRow().addContent(n.name() + (n.name().equals(l.leader()) ? " *" : ""), n.state(), n.member(),
                    n.vmlabVersion() == null ? "-" : n.vmlabVersion(), n.vms(),
                    String.format("%.2f/%d", n.cpuLoad(), n.cpus()), ClusterViews.mib(Math.max(0, n.freeBytes())),
                    n.hostFreeBytes() < 0 ? "-" : ClusterViews.mib(n.hostFreeBytes()),
                    n.dataPlane() == null ? "-" : n.dataPlane().toString());
        }
        table.print(System.out);
        return null;
    }
}
