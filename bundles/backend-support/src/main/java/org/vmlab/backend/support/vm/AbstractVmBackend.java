package org.vmlab.backend.support.vm;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.vmlab.api.VmlabException;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmBackend;
import org.vmlab.backend.support.snapshot.SnapshotFormat;

/**
 * The housekeeping every backend does alike: its name, its settings (set when DS activates it,
 * or given outside OSGi), its {@link VmRegistry}, destroying every VM on close, and finding a
 * snapshot file (relative paths resolve in the backend's snapshot folder) and telling its own
 * files by their magic.
 *
 * @param <V> the backend's VM class
 * @param <S> the backend's settings
 */
public abstract class AbstractVmBackend<V extends Vm, S> implements VmBackend, AutoCloseable {
    private final String name;
    private final SnapshotFormat snapshotFormat;
    private final VmRegistry<V> vms;
    private volatile S settings;

    /**
     * @param snapshotFormat the backend's snapshot files
     * @param settings       the settings, or null until {@link #configure} (DS activation)
     */
    protected AbstractVmBackend(String name, SnapshotFormat snapshotFormat, S settings) {
        this.name = Objects.requireNonNull(name, "name");
        this.snapshotFormat = Objects.requireNonNull(snapshotFormat, "snapshotFormat");
        this.vms = new VmRegistry<>(name);
        this.settings = settings;
    }

    @Override
    public final String name() {
        return name;
    }

    /** Takes new settings; they apply to VMs created from now on, running VMs are kept. */
    protected final void configure(S newSettings) {
        settings = Objects.requireNonNull(newSettings, "settings");
    }

    /** @throws VmlabException if the backend has no settings yet (not activated) */
    public final S settings() {
        S s = settings;
        if (s == null) {
            throw new VmlabException("the " + name + " backend is not configured (not activated)");
        }
        return s;
    }

    /** The backend's VMs (for its VM class, which leaves it when destroyed). */
    public final VmRegistry<V> registry() {
        return vms;
    }

    @Override
    public final List<Vm> vms() {
        return vms.list();
    }

    @Override
    public final Optional<Vm> find(String id) {
        return vms.find(id);
    }

    /** Guest memory of all VMs now. */
    public final long memoryInUse() {
        return vms.memoryInUse();
    }

    /** Destroys every VM; the backend stays usable. */
    @Override
    public void close() {
        vms.destroyAll();
    }

    // ------------------------------------------------------------ snapshots

    /** Where relative snapshot paths resolve. */
    protected abstract Path snapshotFolder();

    /** {@code file}, or for a relative path the file of that name in {@link #snapshotFolder()}. */
    public final Path resolveSnapshotPath(Path file) {
        return file.isAbsolute() ? file : snapshotFolder().resolve(file);
    }

    /** True iff the file starts with this backend's snapshot magic; false for anything unreadable. */
    @Override
    public final boolean recognizes(Path snapshotFile) {
        try {
            return snapshotFile != null && snapshotFormat.recognizes(resolveSnapshotPath(snapshotFile));
        } catch (RuntimeException e) {
            return false; // not configured: a relative path cannot be resolved
        }
    }

    /** Recreates a VM from a snapshot file of this backend; a relative path resolves in {@link #snapshotFolder()}. */
    @Override
    public final Vm restore(Path snapshotFile) {
        return restoreFrom(resolveSnapshotPath(Objects.requireNonNull(snapshotFile, "snapshotFile")));
    }

    /** Recreates a VM from {@code file} (an absolute path). */
    protected abstract Vm restoreFrom(Path file);
}
