package org.vmlab.shell.vm;

import java.util.Map;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.vm.Vm;
import org.vmlab.shell.support.VmViews;

@Service
@Command(scope = "vm", name = "info", description = "Shows a VM: spec, state, workload throughput, page cache.")
public class VmInfoCommand extends OneVmAction {

    @Override
    void execute(Vm vm) {
        Map<String, Object> detail = VmViews.detail(vm);
        StringBuilder text = new StringBuilder();
        detail.forEach((k, v) -> text.append(String.format("%-20s %s%n", k, v)));
        print(detail, text.toString().stripTrailing());
    }
}
