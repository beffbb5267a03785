package org.vmlab.shell.migration;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.cluster.Cluster;
import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationService;
import org.vmlab.shell.cluster.ClusterViews;
import org.vmlab.shell.cluster.Clusters;
import org.vmlab.shell.support.Json;

@Service
@Command(scope = "migration", name = "list", description = "Lists the migrations of this instance, running and finished; with --cluster, of every cluster node.")
public class MigrationListCommand implements Action {

    // Optional, so the bundle's other commands still register in a distribution without engines.
    @Reference(optional = true)
    MigrationService migrations;

    @Reference(optional = true)
    Cluster cluster;

    @Option(name = "--json", description = "Print one JSON array")
    boolean json;

    @Option(name = "--cluster", description = "The migrations of every node of the cluster, those of departed nodes marked lost")
    boolean wholeCluster;

    @Override
    public Object execute() {
        if (wholeCluster) {
            ClusterViews.printMigrations(Clusters.require(cluster).migrations(), json);
            return null;
        }
        Migrations.require(migrations);
        List<Migration> all = migrations.migrations();
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Migration m : all) {
                rows.add(MigrationViews.summary(m));
            }
            System.out.println(Json.write(rows));
            return null;
        }
        if (all.isEmpty()) {
            System.out.println("No migrations.");
            return null;
        }
        ShellTable table = new ShellTable();
        table.column("Id");
        table.column("VM");
        table.column("Status");
        table.column("Engine");
        table.column("Ordering");
        table.column("Destination");
        for (Migration m : all) {
            Map<String, Object> s = MigrationViews.summary(m);
            table.addRow().addContent(s.get("id"), s.get("vm"), s.get("status"), s.get("engine"), s.get("ordering"), s.get("destination"));
        }
        table.print(System.out);
        return null;
    }
}
