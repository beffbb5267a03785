package org.vmlab.hotplug;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.vmlab.api.vm.DeviceSpec;

/**
 * The pass-through devices a VM had when the job was checkpointed, kept in the checkpoint's
 * manifest so that a restart attaches them again also when they were hot-plugged rather than in
 * the VM's spec: {@code vm.NAME.devices=ID,…}, {@code vm.NAME.device.ID.type},
 * {@code vm.NAME.device.ID.property.KEY}.
 */
final class CheckpointDevices {

    private CheckpointDevices() {
    }

    static void write(Properties manifest, String vm, List<DeviceSpec> devices) {
        List<String> ids = new ArrayList<>();
        for (DeviceSpec d : devices) {
            ids.add(d.id());
            String key = "vm." + vm + ".device." + d.id();
            manifest.setProperty(key + ".type", d.type());
            d.properties().forEach((k, v) -> manifest.setProperty(key + ".property." + k, v));
        }
        manifest.setProperty("vm." + vm + ".devices", String.join(",", ids));
    }

    /** The recorded devices of {@code vm}, then its spec's pass-through devices not recorded. */
    static List<DeviceSpec> read(Properties manifest, String vm, List<DeviceSpec> specDevices) {
        Map<String, DeviceSpec> out = new LinkedHashMap<>();
        for (String id : manifest.getProperty("vm." + vm + ".devices", "").split(",")) {
            if (id.isBlank()) {
                continue;
            }
            String key = "vm." + vm + ".device." + id;
            String prefix = key + ".property.";
            Map<String, String> props = new LinkedHashMap<>();
            for (String name : manifest.stringPropertyNames()) {
                if (name.startsWith(prefix)) {
                    props.put(name.substring(prefix.length()), manifest.getProperty(name));
                }
            }
            out.put(id, new DeviceSpec(id, manifest.getProperty(key + ".type", "ivshmem"), true, props));
        }
        specDevices.stream().filter(DeviceSpec::passthrough).forEach(d -> out.putIfAbsent(d.id(), d));
        return List.copyOf(out.values());
    }
}
