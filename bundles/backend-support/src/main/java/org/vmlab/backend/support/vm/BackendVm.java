package org.vmlab.backend.support.vm;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.api.vm.VmStateListener;
import org.vmlab.api.workload.WorkloadRun;

/**
 * What every backend's VM does the same way: identity, the state machine with its listener
 * fan-out, migration begin and end, the workload run, and destroy (stop the workload, release the
 * backend's resources, leave the registry, {@link VmState#STOPPED}). Subclasses serialize their
 * lifecycle methods on {@link #lock}; accessors are lock-free.
 *
 * <p>Once the state is final ({@link VmState#isFinal()}) it changes only to
 * {@link VmState#STOPPED}, so a late failure event cannot revive a destroyed VM's state.
 */
public abstract class BackendVm implements Vm {
    private static final Logger LOG = LoggerFactory.getLogger(BackendVm.class);

    /** Serializes the lifecycle methods (pause, resume, migration, device state, destroy, ...). */
    protected final Object lock = new Object();

    private final VmRegistry<?> registry;
    private final String id;
    private final VmSpec spec;
    /** The devices attached now; replaced whole on hotplug. */
    private volatile List<DeviceSpec> devices;
    private final CopyOnWriteArrayList<VmStateListener> listeners = new CopyOnWriteArrayList<>();
    /** Orders state transitions, which event threads make outside {@link #lock}. */
    private final Object transition = new Object();

    private volatile VmState state;
    private volatile boolean destroyed;
    private volatile WorkloadRun run;

    /** @param registry the backend's VMs; {@link #destroy()} removes this VM from it */
    protected BackendVm(VmRegistry<?> registry, String id, VmSpec spec, VmState initial) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.id = Objects.requireNonNull(id, "id");
        this.spec = Objects.requireNonNull(spec, "spec");
        // a VM that arrives by migration or restore has left its host's pass-through devices behind
        this.devices = initial == VmState.RUNNING ? List.copyOf(spec.devices())
                : spec.devices().stream().filter(d -> !d.passthrough()).toList();
        this.state = Objects.requireNonNull(initial, "initial");
    }

    @Override
    public final String id() {
        return id;
    }

    @Override
    public final VmSpec spec() {
        return spec;
    }

    @Override
    public final String backend() {
        return registry.backend();
    }

    @Override
    public final VmState state() {
        return state;
    }

    @Override
    public final List<DeviceSpec> devices() {
        return devices;
    }

    /** Replaces the attached devices (hotplug); callers hold {@link #lock}. */
    protected final void setDevices(List<DeviceSpec> now) {
        devices = List.copyOf(now);
    }

    /**
     * @throws VmlabException naming the first attached pass-through device, whose state no
     *                        migration or snapshot can capture
     */
    protected final void requireNoPassthrough(String what) {
        for (DeviceSpec d : devices) {
            if (d.passthrough()) {
                throw new VmlabException("cannot " + what + " VM '" + id + "': pass-through device '" + d.id()
                        + "' (" + d.type() + ") is attached and its state cannot be captured; detach it first"
                        + " (device:detach " + id + " " + d.id() + ") or use job:migrate / job:checkpoint");
            }
        }
    }

    @Override
    public final Optional<WorkloadRun> workload() {
        return Optional.ofNullable(run);
    }

    protected final void setWorkloadRun(WorkloadRun r) {
        run = r;
    }

    /** Whether {@link #destroy()} has begun. */
    protected final boolean isDestroyed() {
        return destroyed;
    }

    // ------------------------------------------------------------ state

    /**
     * Moves to {@code to} and tells the listeners (outside any lock of this class); a listener
     * that throws is logged and the others still hear of it.
     *
     * @return false if nothing changed (same state, or a final state left for other than STOPPED)
     */
    protected final boolean setState(VmState to) {
        VmState from;
        synchronized (transition) {
            from = state;
            if (from == to || (from.isFinal() && to != VmState.STOPPED)) {
                return false;
            }
            state = to;
        }
        for (VmStateListener l : listeners) {
            try {
                l.stateChanged(this, from, to);
            } catch (RuntimeException e) {
                LOG.warn("state listener {} of VM '{}' failed: {}", l, id, e.toString());
            }
        }
        return true;
    }

    /** @throws VmlabException saying the VM is gone, if it is destroyed or its state is final */
    protected final void requireAlive(String what) {
        VmState s = state;
        if (destroyed || s.isFinal()) {
            String why = failure();
            throw new VmlabException("cannot " + what + " VM '" + id + "': it is " + s.name().toLowerCase(Locale.ROOT)
                    + (why != null ? " (" + why + ")" : ""));
        }
    }

    /** Why the VM failed, or null (backends that know say). */
    protected String failure() {
        return null;
    }

    /** Whether the vCPUs are stopped now (by a pause, or never started). */
    protected abstract boolean vcpusPaused();

    @Override
    public void beginMigration() {
        synchronized (lock) {
            VmState s = state;
            if (s == VmState.MIGRATING) {
                throw new VmlabException("VM '" + id + "' is already migrating");
            }
            if (s != VmState.RUNNING && s != VmState.PAUSED) {
                throw new VmlabException("cannot migrate VM '" + id + "': it is " + s.name().toLowerCase(Locale.ROOT)
                        + ", not running or paused");
            }
            requireNoPassthrough("migrate");
            setState(VmState.MIGRATING);
        }
    }

    @Override
    public void endMigration() {
        synchronized (lock) {
            if (state == VmState.MIGRATING) {
                setState(vcpusPaused() ? VmState.PAUSED : VmState.RUNNING);
            }
        }
    }

    // ------------------------------------------------------------ destroy

    /**
     * Stops the workload, releases what the backend holds ({@link #release()}), leaves the
     * registry and ends {@link VmState#STOPPED}; a second call does nothing.
     */
    @Override
    public final void destroy() {
        synchronized (lock) {
            if (destroyed) {
                return;
            }
            destroyed = true;
            stopWorkload();
            release();
            registry.remove(this);
            setState(VmState.STOPPED);
        }
    }

    /** Stops the workload run, if any; a failure to stop is logged. */
    protected final void stopWorkload() {
        WorkloadRun r = run;
        if (r != null) {
            try {
                r.stop();
            } catch (RuntimeException e) {
                LOG.warn("workload of VM '{}' failed to stop: {}", id, e.toString());
            }
        }
    }

    /** Frees the backend's resources of this VM (vCPUs, process, memory, disk); called once, under {@link #lock}. */
    protected abstract void release();

    @Override
    public final void addStateListener(VmStateListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public final void removeStateListener(VmStateListener listener) {
        listeners.remove(listener);
    }

    @Override
    public String toString() {
        return backend() + " VM '" + id + "' (" + state.name().toLowerCase(Locale.ROOT) + ")";
    }
}
