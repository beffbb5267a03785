package org.vmlab.storage;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationService;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.storage.EvacuationReport;
import org.vmlab.api.storage.StorageMigrationReport;
import org.vmlab.api.vm.Vm;
import org.vmlab.storage.block.BlockBitmap;
import org.vmlab.storage.evacuate.MigratingDisk;

/**
 * A live migration that takes the disk along (the source's half): this node serves the VM's image
 * read-only over NBD for the migration, the plan tells the destination where to fetch it from, and
 * once memory has moved (the source VM is paused for good) the destination's copy-on-read disk
 * fills itself. For a migration to this node's own receiver it waits for the disk and reports it.
 */
final class StorageMigrations {
    private static final Logger LOG = LoggerFactory.getLogger(StorageMigrations.class);

    private final Exports exports;
    private final IncomingDiskTable incoming;
    private final String host;
    private final int port;

    private final Consumer<String> stopPrecaching;

    /** @param stopPrecaching stops a VM's pre-caching if one runs (its trims reach the backup site) */
    StorageMigrations(Exports exports, IncomingDiskTable incoming, String host, int port,
                      Consumer<String> stopPrecaching) {
        this.stopPrecaching = stopPrecaching;
        this.exports = exports;
        this.incoming = incoming;
        this.host = host;
        this.port = port;
    }

    StorageMigrationReport migrate(MigrationService migrations, Vm vm, MigrationPlan plan, Path image,
                                   Optional<Path> bitmap, MigrationListener listener) {
        Path source = vm.disk().orElseThrow(() -> new IllegalArgumentException("VM '" + vm.id() + "' has no disk"))
                .path().orElseThrow(() -> new IllegalArgumentException("the disk of VM '" + vm.id() + "' is no file"))
                .toAbsolutePath().normalize();
        Path target = image.toAbsolutePath().normalize();
        if (plan.isLocal() && target.equals(source)) {
            throw new IllegalArgumentException("a migration to this node needs a disk image other than the source's "
                    + source + " (--storage-image)");
        }
        String export = "migrate-" + plan.id();
        BlockDevice disk0 = vm.disk().get();
        // From here on every block the VM writes is stale wherever a copy of it was made before.
        BlockBitmap unchanged = BlockBitmap.inMemory(disk0.blockCount());
        unchanged.setAll();
        AutoCloseable tracking = disk0.trackWrites((block, count) -> unchanged.clearRange(block, block + count));
        try {
            stopPrecaching.accept(vm.id());
            exports.addMigrationSource(export, source, unchanged);
        } catch (RuntimeException e) {
            closeQuietly(tracking);
            throw e;
        }
        MigrationPlan.Builder b = plan.toBuilder().option("storage-source", host + ":" + port + "/" + export)
                .option("storage-image", target.toString());
        bitmap.ifPresent(p -> b.option("storage-bitmap", p.toAbsolutePath().normalize().toString()));
        CompletableFuture<MigratingDisk> disk = plan.isLocal() ? incoming.await(plan.id()) : null;
        boolean keepExport = false;
        try {
            Migration m = migrations.start(b.build(), listener);
            MigrationReport memory = await(m.result().toCompletableFuture(), m);
            if (!memory.isCompleted()) {
                return new StorageMigrationReport(memory, null);
            }
            if (disk == null) {
                // The destination fetches on its own, after this call: serve until it has it all.
                keepExport = true;
                LOG.info("migration {}: the destination fetches the disk of '{}' from export '{}'; "
                        + "storage:unexport it once the destination has it all", plan.id(), vm.id(), export);
                return new StorageMigrationReport(memory, null);
            }
            MigratingDisk d = disk.getNow(null);
            if (d == null) {
                throw new VmlabException("migration " + plan.id() + " completed but its disk never opened here");
            }
            d.start(); // the VM may not have touched its disk yet
            EvacuationReport moved = await(d.result(), m);
            return new StorageMigrationReport(memory, moved);
        } finally {
            incoming.forget(plan.id());
            if (!keepExport) {
                closeQuietly(tracking);
                exports.remove(export);
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("cannot stop tracking writes: {}", e.toString());
        }
    }

    private static <T> T await(CompletableFuture<T> f, Migration m) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            m.cancel();
            Thread.currentThread().interrupt();
            throw new VmlabException("interrupted: migration " + m.id() + " cancelled");
        } catch (ExecutionException e) {
            throw new VmlabException("migration " + m.id() + " failed: " + e.getCause().getMessage(), e.getCause());
        }
    }
}
