package org.vmlab.shell.hotplug;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.Vm;

@Service
@Command(scope = "device", name = "attach", description = "Hot-plugs a device into a running VM: the one of that id in the VM's spec, "
        + "or a new one given with --type. The guest agent (if any) opens its path.")
public class DeviceAttachCommand extends DeviceAction {

    @Option(name = "--type", description = "Device type of a device not in the spec, e.g. ivshmem")
    String type;

    @Option(name = "--passthrough", description = "With --type: a pass-through device (blocks migration and snapshot while attached)")
    boolean passthrough;

    @Option(name = "--property", multiValued = true, description = "With --type: name=value, e.g. path=/dev/shm/job-fabric, size=1M (qemu: a power of two), attach-ms=1000 (emu)")
    List<String> properties;

    @Override
    public Object execute() {
        Vm v = directory.find(vm).orElseThrow(() -> new IllegalArgumentException("no VM '" + vm + "'"));
        DeviceSpec d;
        if (type == null) {
            d = v.spec().devices().stream().filter(x -> x.id().equals(device)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("VM '" + vm + "' has no device '" + device
                            + "' in its spec: give --type (and --property) to attach a new one"));
        } else {
            Map<String, String> props = new LinkedHashMap<>();
            for (String p : properties == null ? List.<String>of() : properties) {
                int eq = p.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--property takes name=value, not '" + p + "'");
                }
                props.put(p.substring(0, eq), p.substring(eq + 1));
            }
            d = new DeviceSpec(device, type, passthrough, props);
        }
        long start = System.nanoTime();
        coordinator().attach(vm, d, timeout());
        done("Attached", d.type(), start);
        return null;
    }
}
