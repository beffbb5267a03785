package org.vmlab.shell.cluster;

import java.time.Instant;
import java.util.List;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.cluster.Cluster;
import org.vmlab.api.cluster.ClusterEvent;
import org.vmlab.shell.support.Json;

@Service
@Command(scope = "cluster", name = "events", description = "Shows the latest membership and leadership events this node saw, oldest first.")
public class ClusterEventsCommand implements Action {
    @Reference(optional = true)
    Cluster cluster;

    @Option(name = "--json", description = "Print one JSON array")
    boolean json;

    @Override
    public Object execute() {
        List<ClusterEvent> events = Clusters.require(cluster).events();
        if (json) {
            System.out.println(Json.write(events));
            return null;
        }
        if (events.isEmpty()) {
            System.out.println("No events.");
            return null;
        }
        ShellTable table = new ShellTable();
        table.column("Time");
        table.column("Event");
        table.column("Node");
        table.column("Epoch").alignRight();
        table.column("Detail");
        for (ClusterEvent e : events) {
            table.addRow().addContent(Instant.ofEpochMilli(e.timeMillis()), e.type(), e.node(), e.epoch(), e.detail());
        }
        table.print(System.out);
        return null;
    }
}
