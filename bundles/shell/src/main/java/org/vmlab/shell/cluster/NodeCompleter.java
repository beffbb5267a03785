package org.vmlab.shell.cluster;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vmlab.api.cluster.Cluster;
import org.vmlab.api.cluster.ClusterNode;

/** Completes the names of the cluster's nodes that are up. */
@Service
public class NodeCompleter implements Completer {
    @Reference(optional = true)
    Cluster cluster;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        List<String> names = List.of();
        try {
            if (cluster != null) {
                names = cluster.nodes().stream().filter(n -> n.state() == ClusterNode.NodeState.UP)
                        .map(ClusterNode::name).toList();
            }
        } catch (RuntimeException e) {
            // not joined (yet): nothing to complete
        }
        return new StringsCompleter(names).complete(session, commandLine, candidates);
    }
}
