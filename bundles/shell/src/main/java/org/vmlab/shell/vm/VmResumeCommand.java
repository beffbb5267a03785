package org.vmlab.shell.vm;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.vm.Vm;
import org.vmlab.shell.support.Json;

@Service
@Command(scope = "vm", name = "resume", description = "Lets a paused (or restored) VM run again.")
public class VmResumeCommand extends OneVmAction {

    @Override
    void execute(Vm vm) {
        vm.resume();
        print(Json.object("vm", vm.id(), "state", vm.state()), "Resumed " + vm.id());
    }
}
