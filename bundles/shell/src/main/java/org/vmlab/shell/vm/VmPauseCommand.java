package org.vmlab.shell.vm;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.vm.PauseResult;
import org.vmlab.api.vm.Vm;
import org.vmlab.shell.support.Json;

@Service
@Command(scope = "vm", name = "pause", description = "Stops every vCPU of a VM at a consistent point and says how long that took.")
public class VmPauseCommand extends OneVmAction {

    @Override
    void execute(Vm vm) {
        PauseResult r = vm.pause();
        double ms = r.stopNanos() / 1e6;
        print(Json.object("vm", vm.id(), "state", vm.state(), "stopMs", ms), String.format("Paused %s: vCPUs stopped in %.3f ms", vm.id(), ms));
    }
}
