package org.vmlab.api.hotplug;

import java.time.Duration;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The guest side of {@link GuestCooperation} for guests that run inside vmlab's JVM (emu): a
 * workload run that implements it takes part in the cooperation protocol, and an emu
 * {@link GuestCooperation} finds it as the VM's {@link org.vmlab.api.vm.Vm#workload()}.
 *
 * <p>Actions of the protocol: {@code prepare} (hold at a barrier with no message in flight;
 * reply {@code iteration}), {@code close} (with {@code iteration}: close the device path, only
 * if still held there), {@code detached}, {@code attached} (with {@code device}: re-open the
 * path, reconnect to peers), {@code resume} (go on), {@code status}.
 *
 * @since 1.1
 */
@ConsumerType
public interface GuestAgent {

    /**
     * Handles one request; waits at most {@code timeout} for the guest to get there.
     *
     * @throws org.vmlab.api.VmlabException if the guest does not answer in time
     */
    AgentReply handle(AgentRequest request, Duration timeout);
}
