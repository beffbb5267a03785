package org.vmlab.api.vm;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Creates and runs VMs of one kind. Registered with {@code vmlab.family=backend} and
 * {@code vmlab.backend} (= {@code vmlab.name}), e.g. {@code emu} or {@code qemu}. Failures are
 * reported as {@link org.vmlab.api.VmlabException}s with one clear sentence.
 */
@ProviderType
public interface VmBackend {

    /** The {@code vmlab.backend} value. */
    String name();

    /**
     * Creates a VM and starts it: it is {@link VmState#RUNNING} when this returns, with the spec's
     * workload started.
     *
     * @throws IllegalArgumentException         if {@code spec.backend()} is not {@link #name()}
     * @throws org.vmlab.api.VmlabException if the VM cannot be created (name taken, too large,
     *                                          disk image missing, ...)
     */
    Vm create(VmSpec spec);

    /**
     * Creates an empty VM to receive a migration: memory all zero, vCPUs not running, state
     * {@link VmState#MIGRATING}. The engine fills its memory, resumes it and ends the migration
     * (or destroys it on failure). Its workload is not started here: it continues from the
     * migrated guest state.
     */
    Vm prepareIncoming(VmSpec spec);

    /**
     * Recreates a VM from a file written by {@link Vm#snapshot(Path)}, in state
     * {@link VmState#CREATED}; {@link Vm#resume()} starts it where the snapshot was taken.
     */
    Vm restore(Path snapshotFile);

    /**
     * Whether {@code snapshotFile} looks like a snapshot this backend wrote (its magic bytes), so a
     * restore without a named backend goes to the backend that wrote the file. Never throws: an
     * unreadable file is simply not recognised.
     *
     * @since 1.1
     */
    default boolean recognizes(Path snapshotFile) {
        return false;
    }

    /**
     * A destination for the hypervisor's own migration stream arriving from another node through
     * vmlab's tunnel ({@link org.vmlab.api.migration.NativeTunnels}): a paused VM of {@code spec}
     * whose hypervisor waits for the stream on a loopback port, set up with the source's
     * migration settings. Empty if this backend has no native migration (the default).
     *
     * @param hypervisorSettings the source's migration settings in this backend's terms
     * @throws org.vmlab.api.VmlabException if the VM cannot be prepared or a setting is unknown
     * @since 1.2
     */
    default Optional<NativeIncoming> prepareNativeIncoming(VmSpec spec, Map<String, String> hypervisorSettings) {
        return Optional.empty();
    }

    /** The VMs this backend runs now (destroyed ones are gone). */
    List<Vm> vms();

    /** The VM with this {@link Vm#id()}. */
    Optional<Vm> find(String id);

    BackendInfo info();
}
