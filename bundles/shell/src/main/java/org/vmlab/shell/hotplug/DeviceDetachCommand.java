package org.vmlab.shell.hotplug;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.vm.DeviceSpec;

@Service
@Command(scope = "device", name = "detach", description = "Hot-unplugs a device from a running VM; the guest agent (if any) releases it first "
        + "and its ranks go on over the fallback path.")
public class DeviceDetachCommand extends DeviceAction {

    @Override
    public Object execute() {
        long start = System.nanoTime();
        DeviceSpec d = coordinator().detach(vm, device, timeout());
        done("Detached", d.type(), start);
        return null;
    }
}
