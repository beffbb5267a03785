package org.vmlab.api.hotplug;

import java.time.Duration;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.Vm;

/**
 * Detaches and attaches a VM's devices while it runs. Registered with
 * {@code vmlab.family=hotplug} and a unique {@code vmlab.name}. Failures, timeouts included, are
 * thrown as {@link org.vmlab.api.VmlabException}s, leaving the device as it was.
 */
@ProviderType
public interface DeviceHotplug {

    /** Empty when devices of {@code vm} can be hot-plugged; otherwise one sentence saying why not. */
    Optional<String> unsupportedReason(Vm vm);

    /**
     * Removes the device from the running guest, after the guest agent (if connected) has released
     * it; returns when it is gone from {@link Vm#devices()}.
     *
     * @throws IllegalArgumentException if the VM has no device {@code deviceId}
     */
    void detach(Vm vm, String deviceId, Duration timeout);

    /**
     * Adds the device to the running guest; returns when the guest has it (and the agent, if
     * connected, has brought it up).
     *
     * @throws IllegalArgumentException if the VM already has a device with that id
     */
    void attach(Vm vm, DeviceSpec device, Duration timeout);
}
