package org.vmlab.shell.hotplug;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.shell.support.Json;
import org.vmlab.shell.support.VmCompleter;

@Service
@Command(scope = "device", name = "detach", description = "Hot-unplugs a device from a running VM; the guest agent (if any) releases it first "
        + "and its ranks go on over the fallback path.")
public class DeviceDetachCommand extends HotplugAction {

    @Argument(index = 0, name = "vm", required = true, description = "VM id")
    @Completion(VmCompleter.class)
    String vm;

    @Argument(index = 1, name = "device", required = true, description = "Device id")
    @Completion(DeviceCompleter.class)
    String device;

    @Override
    public Object execute() {
        long start = System.nanoTime();
        DeviceSpec d = coordinator().detach(vm, device, timeout());
        long ms = (System.nanoTime() - start) / 1_000_000;
        print(Json.object("vm", vm, "device", d.id(), "type", d.type(), "millis", ms),
                "Detached " + d.type() + " device " + d.id() + " from " + vm + " in " + ms + " ms");
        return null;
    }
}
