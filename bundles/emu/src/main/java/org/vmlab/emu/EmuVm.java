package org.vmlab.emu;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.PauseResult;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.api.vm.VmStateListener;
import org.vmlab.api.workload.Workload;
import org.vmlab.api.workload.WorkloadRun;

/**
 * One emu VM: off-heap guest memory, vCPU threads, a guest OS with a page cache over the disk
 * image, and the workload run driving it. Lifecycle methods are serialized on one lock; the
 * accessors are lock-free.
 */
public final class EmuVm implements Vm {
    private static final Logger LOG = LoggerFactory.getLogger(EmuVm.class);

    private final EmuBackend backend;
    private final String id;
    private final VmSpec spec;
    private final EmuGuestMemory memory;
    private final EmuDisk disk;
    private final EmuGuestOs guestOs;
    private final EmuVcpus vcpus;
    private final List<DeviceSpec> devices;
    private final CopyOnWriteArrayList<VmStateListener> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();

    private volatile VmState state;
    private volatile WorkloadRun run;
    /** A workload to resume from guest memory on the next resume() (restored or incoming VM). */
    private String pendingWorkload;
    private Map<String, String> pendingParameters = Map.of();
    private boolean destroyed;
    /** Prepared by prepareIncoming and not yet given device state. */
    private boolean awaitingDeviceState;

    EmuVm(EmuBackend backend, String id, VmSpec spec, EmuGuestMemory memory, EmuDisk disk,
          EmuGuestOs guestOs, EmuVcpus vcpus, VmState initial) {
        this.backend = backend;
        this.id = id;
        this.spec = spec;
        this.memory = memory;
        this.disk = disk;
        this.guestOs = guestOs;
        this.vcpus = vcpus;
        this.devices = List.copyOf(spec.devices());
        this.state = initial;
        memory.emuPostcopy().onFailure(reason -> {
            LOG.error("VM '{}' failed: {}", id, reason);
            fail();
        });
    }

    // ------------------------------------------------------------ accessors

    @Override
    public String id() {
        return id;
    }

    @Override
    public VmSpec spec() {
        return spec;
    }

    @Override
    public String backend() {
        return EmuBackend.NAME;
    }

    @Override
    public VmState state() {
        return state;
    }

    @Override
    public EmuGuestMemory memory() {
        return memory;
    }

    @Override
    public Optional<BlockDevice> disk() {
        return Optional.ofNullable(disk);
    }

    @Override
    public List<DeviceSpec> devices() {
        return devices;
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
    public Optional<WorkloadRun> workload() {
        return Optional.ofNullable(run);
    }

    // ------------------------------------------------------------ lifecycle

    private void requireAlive(String what) {
        VmState s = state;
        if (destroyed || s.isFinal()) {
            throw new VmlabException("cannot " + what + " VM '" + id + "': it is "
                    + s.name().toLowerCase());
        }
    }

    private void setState(VmState to) {
        VmState from = state;
        if (from == to) {
            return;
        }
        state = to;
        for (VmStateListener l : listeners) {
            try {
                l.stateChanged(this, from, to);
            } catch (RuntimeException e) {
                LOG.warn("state listener {} of VM '{}' failed: {}", l, id, e.toString());
            }
        }
    }

    /** Starts the spec's workload on a freshly created, running VM. */
    void startWorkload(Workload w, String name, Map<String, String> parameters) {
        synchronized (lock) {
            run = w.start(this, parameters);
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
            WorkloadRun r = run;
            return r != null ? r.workload() : null;
        }
    }

    Map<String, String> workloadParameters() {
        synchronized (lock) {
            if (pendingWorkload != null) {
                return pendingParameters;
            }
            WorkloadRun r = run;
            return r != null ? r.parameters() : Map.of();
        }
    }

    @Override
    public PauseResult pause() {
        synchronized (lock) {
            requireAlive("pause");
            PauseResult r = vcpus.pause();
            if (state == VmState.RUNNING) {
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
                    throw new VmlabException("cannot resume VM '" + id + "': its workload '"
                            + pendingWorkload + "' is not installed");
                }
                try {
                    run = w.get().resume(this, pendingParameters);
                } catch (RuntimeException e) {
                    setState(VmState.FAILED);
                    throw new VmlabException("cannot resume VM '" + id + "': workload '"
                            + pendingWorkload + "' could not continue: " + e.getMessage(), e);
                }
                pendingWorkload = null;
                pendingParameters = Map.of();
            }
            vcpus.resume();
            if (state == VmState.PAUSED || state == VmState.CREATED) {
                setState(VmState.RUNNING);
            }
        }
    }

    @Override
    public void throttle(double fraction) {
        vcpus.throttle(fraction);
    }

    @Override
    public void beginMigration() {
        synchronized (lock) {
            VmState s = state;
            if (s == VmState.MIGRATING) {
                throw new VmlabException("VM '" + id + "' is already migrating");
            }
            if (s != VmState.RUNNING && s != VmState.PAUSED) {
                throw new VmlabException("cannot migrate VM '" + id + "': it is "
                        + s.name().toLowerCase() + ", not running or paused");
            }
            setState(VmState.MIGRATING);
        }
    }

    @Override
    public void endMigration() {
        synchronized (lock) {
            if (state == VmState.MIGRATING) {
                setState(vcpus.isPaused() ? VmState.PAUSED : VmState.RUNNING);
            }
        }
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
                throw new VmlabException("cannot load device state into VM '" + id
                        + "': it was not prepared as an incoming VM, or has its device state already");
            }
            EmuDeviceState.Decoded d = EmuDeviceState.decode(state, this);
            try {
                guestOs.importState(d.guestOs());
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new VmlabException("cannot load device state into VM '" + id
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
            Path target = backend.resolveStatePath(file);
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

    @Override
    public void destroy() {
        synchronized (lock) {
            if (destroyed) {
                return;
            }
            destroyed = true;
            WorkloadRun r = run;
            if (r != null) {
                try {
                    r.stop();
                } catch (RuntimeException e) {
                    LOG.warn("workload of VM '{}' failed to stop: {}", id, e.toString());
                }
            }
            vcpus.destroy();
            memory.close();
            if (disk != null) {
                disk.close();
            }
            backend.removed(this);
            setState(VmState.STOPPED);
        }
    }

    /** Marks the VM failed (e.g. a broken restore); only destroy is useful afterwards. */
    void fail() {
        synchronized (lock) {
            if (!destroyed) {
                setState(VmState.FAILED);
            }
        }
    }

    @Override
    public void addStateListener(VmStateListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public void removeStateListener(VmStateListener listener) {
        listeners.remove(listener);
    }

    @Override
    public String toString() {
        return "emu VM '" + id + "' (" + state.name().toLowerCase() + ")";
    }
}
