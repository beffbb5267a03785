package org.vmlab.shell.hotplug;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Completion;
import org.vmlab.shell.support.Json;
import org.vmlab.shell.support.VmCompleter;

/** A device: command about one device of one VM. */
abstract class DeviceAction extends HotplugAction {

    @Argument(index = 0, name = "vm", required = true, description = "VM id")
    @Completion(VmCompleter.class)
    String vm;

    @Argument(index = 1, name = "device", required = true, description = "Device id")
    @Completion(DeviceCompleter.class)
    String device;

    void done(String what, String type, long startNanos) {
        long ms = (System.nanoTime() - startNanos) / 1_000_000;
        print(Json.object("vm", vm, "device", device, "type", type, "millis", ms),
                what + " " + type + " device " + device + (what.startsWith("Detached") ? " from " : " to ") + vm + " in " + ms + " ms");
    }
}
