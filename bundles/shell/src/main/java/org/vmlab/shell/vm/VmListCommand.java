package org.vmlab.shell.vm;

import java.util.List;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.ByteSize;
import org.vmlab.api.cluster.Cluster;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.workload.WorkloadRun;
import org.vmlab.shell.cluster.ClusterViews;
import org.vmlab.shell.cluster.Clusters;
import org.vmlab.shell.support.Json;
import org.vmlab.shell.support.VmViews;

@Service
@Command(scope = "vm", name = "list", description = "Lists the VMs of this node, of every backend; with --cluster, of every cluster node.")
public class VmListCommand extends VmAction {

    @Reference(optional = true)
    Cluster cluster;

    @Option(name = "--cluster", description = "The VMs of every node of the cluster, those of departed nodes marked lost")
    boolean wholeCluster;

    @Override
    public Object execute() {
        if (wholeCluster) {
            ClusterViews.printVms(Clusters.require(cluster).vms(), json);
            return null;
        }
        List<Vm> vms = directory.vms();
        if (json) {
            System.out.println(Json.write(vms.stream().map(VmViews::summary).toList()));
            return null;
        }
        if (vms.isEmpty()) {
            System.out.println("No VMs.");
            return null;
        }
        ShellTable table = new ShellTable();
        table.column("Id");
        table.column("Backend");
        table.column("State");
        table.column("Memory").alignRight();
        table.column("vCPUs").alignRight();
        table.column("Workload");
        for (Vm vm : vms) {
            table.addRow().addContent(vm.id(), vm.backend(), vm.state(), new ByteSize(vm.spec().memoryBytes()),
                    vm.spec().vcpus(), vm.workload().map(WorkloadRun::workload).orElse("-"));
        }
        table.print(System.out);
        return null;
    }
}
