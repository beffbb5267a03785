package org.vmlab.shell.hotplug;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.Vm;
import org.vmlab.shell.support.Json;
import org.vmlab.shell.support.VmCompleter;

@Service
@Command(scope = "device", name = "list", description = "Lists the devices of a VM (or of every VM): attached now, or in the spec but detached.")
public class DeviceListCommand extends HotplugAction {

    @Argument(index = 0, name = "vm", description = "VM id (default: every VM)")
    @Completion(VmCompleter.class)
    String vm;

    @Override
    public Object execute() {
        List<Vm> vms = vm == null ? directory.vms()
                : List.of(directory.find(vm).orElseThrow(() -> new IllegalArgumentException("no VM '" + vm + "'")));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Vm v : vms) {
            List<DeviceSpec> known = new ArrayList<>(v.spec().devices());
            v.devices().stream().filter(d -> !known.contains(d)).forEach(known::add);
            for (DeviceSpec d : known) {
                rows.add(Json.object("vm", v.id(), "device", d.id(), "type", d.type(), "passthrough", d.passthrough(),
                        "attached", v.devices().stream().anyMatch(x -> x.id().equals(d.id())), "properties", d.properties()));
            }
        }
        if (json) {
            System.out.println(Json.write(Json.object("devices", rows)));
            return null;
        }
        if (rows.isEmpty()) {
            System.out.println("no devices");
        }
        for (Map<String, Object> r : rows) {
            System.out.printf("%-16s %-10s %-10s %-12s %-9s %s%n", r.get("vm"), r.get("device"), r.get("type"),
                    Boolean.TRUE.equals(r.get("passthrough")) ? "pass-through" : "emulated",
                    Boolean.TRUE.equals(r.get("attached")) ? "attached" : "detached", r.get("properties"));
        }
        return null;
    }
}
