package org.vmlab.shell.cluster;

import java.util.List;

import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.cluster.ClusterMigration;
import org.vmlab.api.cluster.ClusterVm;
import org.vmlab.shell.support.Json;

/** The cluster-wide tables of {@code vm:list --cluster} and {@code migration:list --cluster}. */
public final class ClusterViews {
    private ClusterViews() {
    }

    /** Bytes as MiB with one decimal, as the other vmlab tables show sizes. */
    static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f", bytes / 1048576.0);
    }

    public static void printVms(List<ClusterVm> vms, boolean json) {
        if (json) {
            System.out.println(Json.write(vms));
            return;
        }
        if (vms.isEmpty()) {
            System.out.println("No VMs in the cluster.");
            return;
        }
        ShellTable table = new ShellTable();
        table.column("Node");
        table.column("Id");
        table.column("Backend");
        table.column("State");
        table.column("Memory MiB").alignRight();
        table.column("vCPUs").alignRight();
        table.column("CPU load").alignRight();
        table.column("Workload");
        for (ClusterVm v : vms) {
            table.addRow().addContent(v.node(), v.id(), v.backend(), v.lost() ? "LOST (" + v.state() + ")" : v.state(),
                    mib(v.memoryBytes()), v.vcpus(), String.format("%.2f", v.cpuLoad()), v.workload());
        }
        table.print(System.out);
    }

    public static void printMigrations(List<ClusterMigration> migrations, boolean json) {
        if (json) {
            System.out.println(Json.write(migrations));
            return;
        }
        if (migrations.isEmpty()) {
            System.out.println("No migrations in the cluster.");
            return;
        }
        ShellTable table = new ShellTable();
        table.column("Node");
        table.column("Id");
        table.column("VM");
        table.column("Status");
        table.column("Engine");
        table.column("Destination");
        table.column("Time ms").alignRight();
        table.column("Network MiB").alignRight();
        table.column("Verified");
        for (ClusterMigration m : migrations) {
            table.addRow().addContent(m.node(), m.id(), m.vm(), m.lost() ? "LOST (" + m.status() + ")" : m.status(),
                    m.engine(), m.destination(), m.totalTimeMs(), mib(m.bytesNetwork()), m.verified());
        }
        table.print(System.out);
    }
}
