package org.vmlab.emu;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.vmlab.api.VmlabException;
import org.vmlab.api.hotplug.AgentReply;
import org.vmlab.api.hotplug.AgentRequest;
import org.vmlab.api.hotplug.DeviceHotplug;
import org.vmlab.api.hotplug.GuestCooperation;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmBackend;

/**
 * Hotplug of emu's pass-through devices. Detach asks the guest agent (when one is connected) to
 * release the device, then the device model takes {@code detach-ms} to remove it; attach takes
 * {@code attach-ms} and then tells the agent the device is back. A timeout leaves the device as
 * it was.
 */
@Component(service = DeviceHotplug.class, property = {
        "vmlab.family=hotplug",
        "vmlab.name=emu",
        "vmlab.description=Hot-plug of emu pass-through devices (ivshmem fast path), with the guest agent's cooperation"})
public final class EmuDeviceHotplug implements DeviceHotplug {

    private final EmuBackend backend;
    private volatile GuestCooperation agent;

    @Activate
    public EmuDeviceHotplug(@Reference(target = "(vmlab.backend=emu)") VmBackend backend) {
        this.backend = (EmuBackend) backend;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, unbind = "unsetAgent")
    public void setAgent(GuestCooperation agent) {
        this.agent = agent;
    }

    void unsetAgent(GuestCooperation gone) {
        if (agent == gone) {
            agent = null;
        }
    }

    @Override
    public Optional<String> unsupportedReason(Vm vm) {
        if (!EmuBackend.NAME.equals(vm.backend()) || backend.find(vm.id()).orElse(null) != vm) {
            return Optional.of("VM '" + vm.id() + "' is not an emu VM of this node");
        }
        return Optional.empty();
    }

    @Override
    public void detach(Vm vm, String deviceId, Duration timeout) {
        EmuVm emu = emuVm(vm);
        DeviceSpec device = emu.device(deviceId);
        long deadline = System.nanoTime() + timeout.toNanos();
        GuestCooperation a = agent;
        boolean cooperating = a != null && a.isAgentConnected(vm);
        if (cooperating) {
            release(a, vm, deviceId, deadline);
        }
        PassthroughModel.sleep(PassthroughModel.detachTime(device), deadline, "detach", vm, deviceId);
        emu.unplug(deviceId);
        if (cooperating) {
            ask(a, vm, new AgentRequest(PassthroughModel.DETACHED, Map.of("device", deviceId)), deadline);
        }
    }

    @Override
    public void attach(Vm vm, DeviceSpec device, Duration timeout) {
        EmuVm emu = emuVm(vm);
        if (vm.devices().stream().anyMatch(d -> d.id().equals(device.id()))) {
            throw new IllegalArgumentException("VM '" + vm.id() + "' already has a device '" + device.id() + "'");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        PassthroughModel.prepareHost(device);
        PassthroughModel.sleep(PassthroughModel.attachTime(device), deadline, "attach", vm, device.id());
        emu.plug(device);
        GuestCooperation a = agent;
        if (a != null && a.isAgentConnected(vm)) {
            ask(a, vm, new AgentRequest(PassthroughModel.ATTACHED, Map.of("device", device.id())), deadline);
        }
    }

    /**
     * Has the agent hold and close the device path. A rank may hold and then move one iteration
     * on (a peer's message for it arrived), so its close at the old barrier is refused: hold again.
     */
    private static void release(GuestCooperation a, Vm vm, String deviceId, long deadline) {
        String refused = "";
        for (int attempt = 0; attempt < 100; attempt++) {
            AgentReply held = ask(a, vm, AgentRequest.of(PassthroughModel.PREPARE), deadline);
            AgentReply closed = a.request(vm, new AgentRequest(PassthroughModel.CLOSE, Map.of("device", deviceId,
                    "iteration", held.values().getOrDefault("iteration", ""))), remaining(vm, deadline));
            if (closed.ok()) {
                return;
            }
            refused = closed.message();
        }
        throw new VmlabException("the guest agent of VM '" + vm.id() + "' did not hold still to release device '"
                + deviceId + "': " + refused);
    }

    private static Duration remaining(Vm vm, long deadline) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new VmlabException("timed out while the guest agent of VM '" + vm.id() + "' released its device");
        }
        return Duration.ofNanos(left);
    }

    private static AgentReply ask(GuestCooperation a, Vm vm, AgentRequest request, long deadline) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new VmlabException("timed out before the guest agent of VM '" + vm.id() + "' was asked to "
                    + request.action());
        }
        AgentReply r = a.request(vm, request, Duration.ofNanos(left));
        if (!r.ok()) {
            throw new VmlabException("the guest agent of VM '" + vm.id() + "' refused " + request.action() + ": "
                    + r.message());
        }
        return r;
    }

    private EmuVm emuVm(Vm vm) {
        unsupportedReason(vm).ifPresent(why -> {
            throw new VmlabException(why);
        });
        return (EmuVm) vm;
    }
}
