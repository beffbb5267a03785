package org.vmlab.api.vm;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;
import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.workload.WorkloadRun;

/**
 * One virtual machine, as every backend presents it. Engines, detectors and workloads use only
 * this view, so the same mechanism runs on emu and qemu guests.
 *
 * <p>Lifecycle methods throw {@link org.vmlab.api.VmlabException} with one clear sentence when
 * the VM's state does not allow them or the backend fails. All methods are thread-safe.
 */
@ProviderType
public interface Vm {

    /**
     * Unique among the VMs of this node; usually the spec's name (a destination prepared on the
     * same node as its source gets another).
     */
    String id();

    VmSpec spec();

    /** The {@code vmlab.backend} that runs it. */
    String backend();

    VmState state();

    GuestMemory memory();

    /** The VM's disk as the host sees it; empty for a VM without a disk. */
    Optional<BlockDevice> disk();

    /** The devices attached now; differs from {@code spec().devices()} after hotplug. */
    List<DeviceSpec> devices();

    /** The guest OS introspection; empty where the backend cannot look inside the guest. */
    Optional<GuestOs> guestOs();

    /**
     * The guest's own report of its clean page cache, for backends that cannot introspect the
     * guest OS ({@link #guestOs()} empty) but talk to an agent inside it. Empty by default.
     *
     * @since 1.3
     */
    default Optional<org.vmlab.api.guest.PageCacheReporter> pageCacheReporter() {
        return Optional.empty();
    }

    /** The virtual CPUs that run guest work (workload tasks). */
    org.vmlab.api.guest.Vcpus vcpus();

    /** The workload run driving the guest, started by the backend from the spec's workload. */
    Optional<WorkloadRun> workload();

    /**
     * Stops every vCPU at a consistent point. A running VM becomes {@link VmState#PAUSED}; a
     * migrating one stays {@link VmState#MIGRATING} with its vCPUs stopped.
     */
    PauseResult pause();

    /**
     * Lets the vCPUs run again: a paused or just restored VM becomes {@link VmState#RUNNING}; a
     * migrating one stays {@link VmState#MIGRATING} (e.g. a postcopy destination).
     */
    void resume();

    /**
     * Slows the vCPUs so the guest dirties memory more slowly (auto-converge).
     *
     * @param fraction of time the vCPUs are held: 0 runs at full speed, 0.99 lets them run 1% of
     *                 the time; must be in {@code [0, 1)}
     * @throws IllegalArgumentException if {@code fraction} is out of range
     */
    void throttle(double fraction);

    /**
     * Marks the start of a migration of this VM (as its source): the state becomes
     * {@link VmState#MIGRATING} until {@link #endMigration()}, whatever {@link #pause()} and
     * {@link #resume()} do meanwhile. Only one migration at a time: a second call before
     * {@code endMigration()} fails, as does a call on a VM that is not running or paused.
     */
    void beginMigration();

    /**
     * Ends the migration this VM is the source or destination of: the state becomes
     * {@link VmState#RUNNING} or {@link VmState#PAUSED} as its vCPUs are. Does nothing if the VM
     * is not migrating.
     */
    void endMigration();

    /**
     * The VM's device state: everything but guest memory that a destination needs to run on
     * (for emu, the guest OS's page-cache map, reservations and the workload's name and
     * parameters). Taken with the vCPUs paused, at switchover.
     */
    byte[] saveDeviceState();

    /**
     * Installs device state from {@link #saveDeviceState()} on a VM prepared by
     * {@link VmBackend#prepareIncoming}, after its memory arrived and before it resumes.
     *
     * @throws org.vmlab.api.VmlabException if the state is malformed or from another kind of VM
     */
    void loadDeviceState(byte[] state);

    /**
     * Writes a consistent checkpoint (memory, vCPU and device state, disk reference) that
     * {@link VmBackend#restore(Path)} reads back. A running VM is paused for the duration.
     */
    void snapshot(Path file);

    /**
     * What the backend can say about this VM beyond its spec, for people reading {@code vm:info}:
     * e.g. the accelerator, process id and run folder of a QEMU guest. Keys are camelCase, values
     * one line of text. Empty by default.
     *
     * @since 1.1
     */
    default java.util.Map<String, String> details() {
        return java.util.Map.of();
    }

    /** Stops the VM and frees everything it holds; the state becomes {@link VmState#STOPPED}. */
    void destroy();

    void addStateListener(VmStateListener listener);

    void removeStateListener(VmStateListener listener);
}
