package org.vmlab.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.annotation.Annotation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.DataRate;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.Verification;
import org.vmlab.api.storage.EvacuationReport;
import org.vmlab.api.storage.PrecacheOptions;
import org.vmlab.api.storage.StorageMigrationReport;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.emu.EmuBackend;
import org.vmlab.emu.EmuSettings;
import org.vmlab.engines.DefaultMigrationService;
import org.vmlab.engines.MigrationReceiver;
import org.vmlab.engines.PrecopyEngine;
import org.vmlab.ordering.SequentialOrdering;
import org.vmlab.storage.precache.AllPrecacher;
import org.vmlab.workloads.DatabaseWorkload;

/** migrateWithStorage: an emu guest writing its disk moves memory and disk in one go, on one node. */
@Timeout(60)
class StorageMigrationTest {
    private static final long MIB = 1 << 20;
    private static final long DISK = 32 * MIB;
    private static final long BLOCKS = DISK / 4096;

    @TempDir
    Path dir;
    private EmuBackend backend;
    private MigrationReceiver receiver;
    private DefaultStorageService storage;

    @BeforeEach
    void node() throws Exception {
        backend = new EmuBackend(EmuSettings.forTests(dir));
        backend.registerWorkload("database", new DatabaseWorkload());
        receiver = new MigrationReceiver(n -> "emu".equals(n) ? backend : null,
                MigrationReceiver.Settings.loopback(dir.resolve("secret/transport.secret"))
                        .withTimeout(Duration.ofSeconds(20)));
        VmDirectory vms = backend.directory();
        DefaultMigrationService migrations = new DefaultMigrationService(vms);
        migrations.addEngine("precopy", 100, new PrecopyEngine(receiver));
        migrations.addOrdering("sequential", 100, new SequentialOrdering());
        storage = new DefaultStorageService(config(dir.resolve("storage")));
        storage.setVms(vms);
        storage.setMigrations(migrations);
        storage.bindPrecacher(new AllPrecacher(), Map.of("vmlab.name", "all"));
        backend.setIncomingDisks(storage);
    }

    @AfterEach
    void stop() {
        backend.close();
        storage.deactivate();
        receiver.close();
    }

    private Vm writingVm(Path image) {
        return backend.create(VmSpec.of("db", "emu", 64 * MIB).withDisk(image, DISK).withWorkload("database",
                Map.of("table-size", "16M", "rate", "3000", "read-ratio", "0.5", "writeback-interval", "50ms",
                        "buffer", "2M")));
    }

    @Test
    void memoryAndDiskMoveTogetherPrecachedBlocksStayLocalStaleOnesAreFetched() throws Exception {
        Path src = dir.resolve("src.img");
        Path dst = dir.resolve("dst.img");
        Path bitmap = dir.resolve("dst.bitmap");
        Vm vm = writingVm(src);
        // The backup site (this node's own NBD server) holds a cache export that pre-caching fills
        // under a 40 Mbit/s cap while the guest writes, invalidating every block it writes again.
        storage.exportImage("backup", dst, DISK, Optional.of(bitmap), false);
        storage.precacheStart(vm.id(), new Endpoint("127.0.0.1", storage.server().port()), "backup", "all",
                new PrecacheOptions(DataRate.parse("40m"), Duration.ofMillis(100), Map.of()));
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (storage.precacheStatus(vm.id()).orElseThrow().stats().blocksCached() < BLOCKS / 8) {
            assertTrue(System.nanoTime() < deadline, "pre-caching copies nothing");
            Thread.sleep(50);
        }
        long half = BLOCKS / 2;

        StorageMigrationReport r = storage.migrateWithStorage(MigrationPlan.builder(vm.id()).verify(true).build(),
                dst, Optional.of(bitmap), MigrationListener.NONE);

        assertTrue(r.memory().isCompleted(), () -> "memory: " + r.memory().failureReason());
        assertEquals(Verification.PASSED, r.memory().verified());
        EvacuationReport d = r.disk();
        assertTrue(d.completed(), d.status());
        assertEquals(Boolean.TRUE, d.verified(), "every block not written at the destination equals the source's");
        assertEquals(0, d.blocksMissing());
        assertTrue(d.blocksLocal() >= BLOCKS / 16 && d.blocksLocal() < half,
                "pre-cached blocks are used: " + d.blocksLocal() + " of " + BLOCKS);
        long fetched = d.blocksOnDemand() + d.blocksReadAhead() + d.blocksBackground();
        assertTrue(fetched >= half && d.bytesReceived() >= fetched * 4096, "fetched " + fetched);
        assertTrue(d.blocksLocal() + fetched <= BLOCKS);

        Vm moved = backend.vms().stream().filter(v -> v.spec().name().equals("db")).findFirst().orElseThrow();
        assertEquals(VmState.RUNNING, moved.state());
        assertEquals(dst, moved.disk().orElseThrow().path().orElseThrow());
        assertEquals(dst, moved.spec().diskImage());
        assertTrue(moved.spec().devices().isEmpty(), "the disk source is not part of the VM once it is here");
        assertTrue(storage.server().exports().isEmpty(), "the source's migration export and the cache export are closed");
        assertTrue(storage.precacheStatus(vm.id()).isEmpty(), "pre-caching stopped as the VM left");
    }

    @Test
    void aDestinationThatCannotOpenTheDiskLeavesTheSourceRunning() throws Exception {
        Vm vm = writingVm(dir.resolve("src.img"));
        Thread.sleep(300);
        Path nowhere = dir.resolve("no-such-folder/dst.img");
        StorageMigrationReport r = storage.migrateWithStorage(MigrationPlan.builder(vm.id()).verify(true).build(),
                nowhere, Optional.empty(), MigrationListener.NONE);
        assertTrue(!r.memory().isCompleted() && r.disk() == null, r.memory().status().toString());
        assertTrue(r.memory().failureReason().contains("dst.img"), r.memory().failureReason());
        assertEquals(VmState.RUNNING, vm.state());
        assertEquals(List.of(vm), backend.vms());
        assertTrue(storage.server().exports().isEmpty());
        assertThrows(IllegalArgumentException.class, () -> storage.migrateWithStorage(
                MigrationPlan.builder(vm.id()).build(), dir.resolve("src.img"), Optional.empty(),
                MigrationListener.NONE), "a migration on one node cannot write the source's own image");
        assertThrows(IllegalArgumentException.class, () -> storage.migrateWithStorage(MigrationPlan.builder("none").build(),
                dir.resolve("x.img"), Optional.empty(), MigrationListener.NONE).memory());
    }

    static StorageConfig config(Path dataDir) {
        return new StorageConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return StorageConfig.class;
            }

            @Override
            public String host() {
                return "127.0.0.1";
            }

            @Override
            public int port() {
                return 0;
            }

            @Override
            public int maxConnections() {
                return 64;
            }

            @Override
            public int handshakeTimeoutSeconds() {
                return 10;
            }

            @Override
            public String[] exports() {
                return new String[0];
            }

            @Override
            public String dataDir() {
                return dataDir.toString();
            }
        };
    }
}
