package org.vmlab.api.storage;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPlan;

/**
 * This node's block storage: its NBD server and exports, pre-caching of its VMs' disks to a
 * backup site, and evacuations of disks to it. Failures a user should read are
 * {@link org.vmlab.api.VmlabException}s; bad arguments {@link IllegalArgumentException}s.
 *
 * @since 1.2
 */
@ProviderType
public interface StorageService {

    NbdServerStatus server();

    /**
     * Serves an image file; with {@code createBytes > 0} creates (or grows) it. With a bitmap file,
     * the export is a cache: writes set its bits, trims clear them, {@code vmlab:cached} shows them.
     */
    ExportInfo exportImage(String name, Path image, long createBytes, Optional<Path> bitmap, boolean readOnly);

    /** Serves a VM's disk under the VM's id; its writes are seen by pre-caching. */
    ExportInfo exportVm(String vm);

    /** Stops serving an export (open connections to it end with their next request). */
    void unexport(String name);

    /** Starts pre-caching a VM's disk to {@code backupSite}'s export {@code export}. */
    PrecacheStatus precacheStart(String vm, Endpoint backupSite, String export, String strategy,
                                 PrecacheOptions options);

    Optional<PrecacheStatus> precacheStatus(String vm);

    List<PrecacheStatus> precacheStatuses();

    /** Stops a VM's pre-caching; its bitmap stays, so a later start resumes. */
    PrecacheStatus precacheStop(String vm);

    /** Moves a disk here as the plan says and returns when done (or failed). */
    EvacuationReport evacuate(EvacuationPlan plan, Consumer<String> progress);

    /**
     * Live-migrates a VM with its disk and waits for the end: this node serves the disk over NBD,
     * the destination runs the VM on a copy-on-read device over it (blocks in {@code bitmap} are
     * there already, missing ones are fetched on access, a background copy fills the rest), then
     * the source's export closes. With {@code plan.verify()} both memory and the whole disk are
     * compared. A failure before the switchover leaves the source VM running.
     *
     * @param plan     the memory migration (destination, engine, verification)
     * @param image    the disk image at the destination (a new file, or the pre-cached copy)
     * @param bitmap   at the destination, the blocks {@code image} already holds (a pre-cache's)
     * @param listener the memory migration's progress
     * @since 1.3
     */
    StorageMigrationReport migrateWithStorage(MigrationPlan plan, Path image, Optional<Path> bitmap,
                                              MigrationListener listener);
}
