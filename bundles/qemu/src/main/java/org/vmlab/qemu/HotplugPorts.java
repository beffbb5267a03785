package org.vmlab.qemu;

import java.util.HashMap;
import java.util.Map;

import org.vmlab.api.VmlabException;

/**
 * Which of a guest's empty {@code pcie-root-port}s ({@link QemuProcess#HOTPLUG_PORTS}) each
 * hot-plugged device sits on. Not thread-safe: its VM calls it under its lock.
 */
final class HotplugPorts {
    private final String vmId;
    private final Map<String, String> portOf = new HashMap<>();

    HotplugPorts(String vmId) {
        this.vmId = vmId;
    }

    /** A free port, now {@code deviceId}'s. */
    String reserve(String deviceId) {
        if (portOf.containsKey(deviceId)) {
            throw new IllegalArgumentException("VM '" + vmId + "' already has a device '" + deviceId + "'");
        }
        for (int i = 0; i < QemuProcess.HOTPLUG_PORTS; i++) {
            String port = QemuProcess.hotplugPort(i);
            if (!portOf.containsValue(port)) {
                portOf.put(deviceId, port);
                return port;
            }
        }
        throw new VmlabException("VM '" + vmId + "' has no free hot-plug port: its " + QemuProcess.HOTPLUG_PORTS
                + " ports hold " + portOf.keySet() + "; detach one first");
    }

    void release(String deviceId) {
        portOf.remove(deviceId);
    }

    boolean holds(String deviceId) {
        return portOf.containsKey(deviceId);
    }
}
