package org.vmlab.emu;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.vm.PauseResult;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.api.workload.Workload;
import org.vmlab.api.workload.WorkloadRun;
import org.vmlab.backend.support.vm.BackendVm;

/**
 * One emu VM: off-heap guest memory, vCPU threads, a guest OS with a page cache over the disk
 * image, and the workload run driving it. Lifecycle methods are serialized on one lock; the
 * accessors are lock-free.
 */
public final class EmuVm extends BackendVm {
    private static final Logger LOG = LoggerFactory.getLogger(EmuVm.class);

    private final EmuBackend backend;
    private final EmuGuestMemory memory;
    private final BlockDevice disk;
    private final EmuGuestOs guestOs;
    private final EmuVcpus vcpus;

    /** A workload to resume from guest memory on the next resume() (restored or incoming VM). */
    private String pendingWorkload;
    private Map<String, String> pendingParameters = Map.of();
    /** Prepared by prepareIncoming and not yet given device state. */
    private boolean awaitingDeviceState;

    EmuVm(EmuBackend backend, String id, VmSpec spec, EmuGuestMemory memory, BlockDevice disk,
          EmuGuestOs guestOs, EmuVcpus vcpus, VmState initial) {
        super(backend.registry(), id, spec, initial);
        this.backend = backend;
        this.memory = memory;
        this.disk = disk;
        this.guestOs = guestOs;
        this.vcpus = vcpus;
        memory.emuPostcopy().onFailure(reason -> {
            LOG.error("VM '{}' failed: {}", id, reason);
            fail();
        });
    }

    // ------------------------------------------------------------ accessors

    @Override
    public EmuGuestMemory memory() {
        return memory;
    }

    @Override
    public Optional<BlockDevice> disk() {
        return Optional.ofNullable(disk);
    }

    @Override
    public Optional<GuestOs> guestOs() {
        return Optional.of(guestOs);
    }

    /** The guest OS with its emu-specific extras. */
    public EmuGuestOs emuGuestOs() {
        return guestOs;
    }

    @Override
    public EmuVcpus vcpus() {
        return vcpus;
    }

    @Override
    protected boolean vcpusPaused() {
        return vcpus.isPaused();
    }

    // ------------------------------------------------------------ lifecycle

    /** Starts the spec's workload on a freshly created, running VM. */
    void startWorkload(Workload w, Map<String, String> parameters) {
        synchronized (lock) {
            setWorkloadRun(w.start(this, parameters));
        }
    }

    /** Remembers the workload to resume from guest memory on the next {@link #resume()}. */
    void resumeWorkloadLater(String name, Map<String, String> parameters) {
        synchronized (lock) {
            pendingWorkload = name;
            pendingParameters = parameters == null ? Map.of() : Map.copyOf(parameters);
        }
    }

    /** The workload's name and effective parameters, as a snapshot records them. */
    String workloadName() {
        synchronized (lock) {
            if (pendingWorkload != null) {
                return pendingWorkload;
            }
            return workload().map(WorkloadRun::workload).orElse(null);
        }
    }

    Map<String, String> workloadParameters() {
        synchronized (lock) {
            if (pendingWorkload != null) {
                return pendingParameters;
            }
            return workload().map(WorkloadRun::parameters).orElse(Map.of());
        }
    }

    @Override
    public PauseResult pause() {
        synchronized (lock) {
            requireAlive("pause");
            PauseResult r = vcpus.pause();
            if (state() == VmState.RUNNING) {
                setState(VmState.PAUSED);
            }
            return r;
        }
    }

    @Override
    public void resume() {
        synchronized (lock) {
            requireAlive("resume");
            if (pendingWorkload != null) {
                Optional<Workload> w = backend.lookupWorkload(pendingWorkload);
                if (w.isEmpty()) {
                    throw new VmlabException("cannot resume VM '" + id() + "': its workload '"
                            + pendingWorkload + "' is not installed");
                }
                try {
                    setWorkloadRun(w.get().resume(this, pendingParameters));
                } catch (RuntimeException e) {
                    setState(VmState.FAILED);
                    throw new VmlabException("cannot resume VM '" + id() + "': workload '"
                            + pendingWorkload + "' could not continue: " + e.getMessage(), e);
                }
                pendingWorkload = null;
                pendingParameters = Map.of();
            }
            vcpus.resume();
            if (state() == VmState.PAUSED || state() == VmState.CREATED) {
                setState(VmState.RUNNING);
            }
        }
    }

    @Override
    public void throttle(double fraction) {
        vcpus.throttle(fraction);
    }

    /** Marks this VM as an incoming (migration destination) VM that takes device state. */
    void expectDeviceState() {
        synchronized (lock) {
            awaitingDeviceState = true;
        }
    }

    @Override
    public byte[] saveDeviceState() {
        synchronized (lock) {
            requireAlive("save the device state of");
            return EmuDeviceState.encode(memory.pageCount(), workloadName(), workloadParameters(),
                    guestOs.exportState(), guestOs.diskBlocks());
        }
    }

    @Override
    public void loadDeviceState(byte[] state) {
        synchronized (lock) {
            requireAlive("load device state into");
            if (!awaitingDeviceState) {
                throw new VmlabException("cannot load device state into VM '" + id()
                        + "': it was not prepared as an incoming VM, or has its device state already");
            }
            EmuDeviceState.Decoded d = EmuDeviceState.decode(state, this);
            try {
                guestOs.importState(d.guestOs());
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new VmlabException("cannot load device state into VM '" + id()
                        + "': its guest OS state does not fit: " + e.getMessage(), e);
            }
            awaitingDeviceState = false;
            pendingWorkload = d.workload();
            pendingParameters = d.workload() == null ? Map.of() : d.parameters();
        }
    }

    @Override
    public void snapshot(Path file) {
        Objects.requireNonNull(file, "file");
        synchronized (lock) {
            requireAlive("snapshot");
            requireNoPassthrough("snapshot");
            Path target = backend.resolveSnapshotPath(file);
            boolean wasRunning = !vcpus.isPaused();
            vcpus.pause();
            try {
                EmuSnapshot.write(this, target);
            } finally {
                if (wasRunning) {
                    vcpus.resume();
                }
            }
        }
    }

    /** Adds a device the guest now sees (the device model has done its work). */
    void plug(org.vmlab.api.vm.DeviceSpec device) {
        synchronized (lock) {
            requireAlive("attach a device to");
            if (devices().stream().anyMatch(d -> d.id().equals(device.id()))) {
                throw new IllegalArgumentException("VM '" + id() + "' already has a device '" + device.id() + "'");
            }
            java.util.List<org.vmlab.api.vm.DeviceSpec> now = new java.util.ArrayList<>(devices());
            now.add(device);
            setDevices(now);
        }
    }

    /** Removes a device from the guest's view; returns it. */
    org.vmlab.api.vm.DeviceSpec unplug(String deviceId) {
        synchronized (lock) {
            requireAlive("detach a device from");
            org.vmlab.api.vm.DeviceSpec gone = device(deviceId);
            setDevices(devices().stream().filter(d -> d != gone).toList());
            return gone;
        }
    }

    /** @throws IllegalArgumentException if the VM has no such device */
    org.vmlab.api.vm.DeviceSpec device(String deviceId) {
        return devices().stream().filter(d -> d.id().equals(deviceId)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("VM '" + id() + "' has no device '" + deviceId
                        + "'; it has " + devices().stream().map(org.vmlab.api.vm.DeviceSpec::id).toList()));
    }

    @Override
    protected void release() {
        vcpus.destroy();
        memory.close();
        if (disk != null) {
            disk.close();
        }
    }

    /** Marks the VM failed (e.g. a broken restore); only destroy is useful afterwards. */
    void fail() {
        synchronized (lock) {
            if (!isDestroyed()) {
                setState(VmState.FAILED);
            }
        }
    }
}
