package org.vmlab.shell.vm;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.vm.Vm;
import org.vmlab.shell.support.Json;

@Service
@Command(scope = "vm", name = "destroy", description = "Stops a VM and frees its memory, threads and files (the disk image stays).")
public class VmDestroyCommand extends OneVmAction {

    @Override
    void execute(Vm vm) {
        vm.destroy();
        print(Json.object("vm", vm.id(), "state", vm.state()), "Destroyed " + vm.id());
    }
}
