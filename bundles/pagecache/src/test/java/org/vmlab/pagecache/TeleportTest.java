package org.vmlab.pagecache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.DataRate;
import org.vmlab.api.migration.LinkSpec;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.migration.PageCacheTransfer;
import org.vmlab.api.migration.Verification;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.core.BackendVmDirectory;
import org.vmlab.emu.EmuBackend;
import org.vmlab.emu.EmuSettings;
import org.vmlab.engines.DefaultMigrationService;
import org.vmlab.engines.HybridEngine;
import org.vmlab.engines.MigrationReceiver;
import org.vmlab.engines.PrecopyEngine;
import org.vmlab.ordering.SequentialOrdering;
import org.vmlab.workloads.WebWorkload;

/** Page-cache teleport end to end on one node: emu guests with a warm web cache, real sockets, the SAN endpoint. */
@Timeout(180)
class TeleportTest {
    static final long MIB = 1 << 20;
    static final long DATA_PAGES = 48 * MIB / 4096;

    @TempDir
    static Path dir;
    static EmuBackend backend;
    static MigrationReceiver receiver;
    static SanServer san;
    static DefaultMigrationService service;
    static int counter;

    static final PlantedErrorDetector LIAR = new PlantedErrorDetector(new GuestAgentDetector(), 10);

    @BeforeAll
    static void setUp() throws IOException {
        backend = new EmuBackend(EmuSettings.forTests(dir));
        backend.registerWorkload("web", new WebWorkload());
        receiver = new MigrationReceiver(name -> "emu".equals(name) ? backend : null,
                MigrationReceiver.Settings.loopback(dir.resolve("secret/transport.secret")).withTimeout(Duration.ofSeconds(5)));
        san = new SanServer("127.0.0.1", 0);
        receiver.setSharedStorage(san);
        service = new DefaultMigrationService(directory(backend));
        service.addEngine("precopy", 100, new PrecopyEngine(receiver));
        service.addEngine("hybrid", 10, new HybridEngine(receiver));
        service.addOrdering("sequential", 100, new SequentialOrdering());
        service.addDetector(GuestAgentDetector.NAME, 100, new GuestAgentDetector());
        service.addDetector(IntrospectionDetector.NAME, 10, new IntrospectionDetector());
        service.addDetector("liar", 0, LIAR);
    }

    @AfterAll
    static void tearDown() {
        receiver.close();
        san.close();
        backend.close();
    }

    @AfterEach
    void clean() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5000;
        while (System.currentTimeMillis() < deadline && receiver.activeSessions() > 0) {
            Thread.sleep(20);
        }
        backend.vms().forEach(Vm::destroy);
    }

    /** A web VM with 48 MiB of random files, all in its page cache. */
    static Vm warmWebVm() throws InterruptedException {
        String name = "web" + (++counter);
        Vm vm = backend.create(VmSpec.of(name, "emu", 128 * MIB).withVcpus(1)
                .withDisk(dir.resolve(name + ".img"), 64 * MIB)
                .withWorkload("web", Map.of("files", "48M", "warm", "true", "rate", "200")));
        long deadline = System.currentTimeMillis() + 60_000;
        while (vm.guestOs().orElseThrow().cleanPageCache().size() < DATA_PAGES) {
            assertTrue(System.currentTimeMillis() < deadline, "page cache not warm in 60 s");
            Thread.sleep(50);
        }
        return vm;
    }

    static MigrationReport migrate(Vm vm, String detector, String split, String engine) throws Exception {
        MigrationPlan.Builder b = MigrationPlan.builder(vm.id()).engine(engine).detector(detector).verify(true)
                .network(LinkSpec.of(DataRate.parse("400m"))).san(LinkSpec.of(DataRate.parse("400m")));
        if (split != null) {
            b.option("split", split);
        }
        return service.start(b.build(), MigrationListener.NONE).result().toCompletableFuture().get(120, TimeUnit.SECONDS);
    }

    static void assertCompletedAndVerified(MigrationReport r) {
        assertEquals(MigrationStatus.COMPLETED, r.status(), r.failureReason());
        assertEquals(Verification.PASSED, r.verified());
    }

    @Test
    void adaptiveSendsPageCacheBothWaysAndTheGuestIsIntact() throws Exception {
        MigrationReport r = migrate(warmWebVm(), GuestAgentDetector.NAME, null, "precopy");
        assertCompletedAndVerified(r);
        PageCacheTransfer pc = r.pageCache();
        assertEquals("adaptive", pc.split());
        assertTrue(pc.mappedPages() >= DATA_PAGES, pc.toString());
        assertTrue(pc.pagesSan() > DATA_PAGES / 10 && pc.pagesNetwork() > 0, pc.toString());
        assertEquals(pc.pagesSan() * 4096, r.bytesSan());
        assertTrue(pc.pagesSan() + pc.pagesNetwork() + pc.pagesMismatched() >= DATA_PAGES, pc.toString());
    }

    @Test
    void wrongEntriesAreCaughtByTheHashAndSentOverTheNetwork() throws Exception {
        MigrationReport r = migrate(warmWebVm(), "liar", "0", "precopy");
        assertCompletedAndVerified(r);
        assertTrue(LIAR.planted() > DATA_PAGES / 10 - 10, "planted " + LIAR.planted());
        assertTrue(r.pageCache().pagesMismatched() >= LIAR.planted(), r.pageCache() + ", planted " + LIAR.planted());
    }

    @Test
    void fixedSplitsTakeTheirShare() throws Exception {
        MigrationReport none = migrate(warmWebVm(), IntrospectionDetector.NAME, "1", "precopy");
        assertCompletedAndVerified(none);
        assertEquals(0, none.bytesSan());
        assertEquals(0, none.pageCache().pagesSan());
        MigrationReport all = migrate(warmWebVm(), GuestAgentDetector.NAME, "0", "hybrid");
        assertCompletedAndVerified(all);
        assertEquals(0, all.pageCache().pagesNetwork());
        assertTrue(all.pageCache().pagesSan() >= DATA_PAGES - 100, all.pageCache().toString());
    }

    @Test
    void aSanFailureMidMigrationLeavesTheSourceRunning() throws Exception {
        Vm vm = warmWebVm();
        SanServer slow = new SanServer("127.0.0.1", 0);
        receiver.setSharedStorage(slow);
        try {
            MigrationPlan plan = MigrationPlan.builder(vm.id()).detector(GuestAgentDetector.NAME).option("split", "0")
                    .network(LinkSpec.of(DataRate.parse("400m"))).san(LinkSpec.of(DataRate.parse("20m"))).build();
            var m = service.start(plan, MigrationListener.NONE);
            long deadline = System.currentTimeMillis() + 10_000;
            while (slow.sessionCount() == 0 && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            Thread.sleep(300);
            slow.close(); // the SAN goes away mid-migration
            MigrationReport r = m.result().toCompletableFuture().get(60, TimeUnit.SECONDS);
            assertEquals(MigrationStatus.FAILED, r.status());
            assertTrue(r.failureReason().contains("SAN"), r.failureReason());
            assertEquals(VmState.RUNNING, vm.state());
            long until = System.currentTimeMillis() + 5000;
            while (backend.vms().size() > 1 && System.currentTimeMillis() < until) {
                Thread.sleep(20);
            }
            assertEquals(1, backend.vms().stream().filter(v -> v.spec().name().equals(vm.spec().name())).count());
        } finally {
            receiver.setSharedStorage(san);
        }
    }

    @Test
    void droppingThePageCacheMovesLessAndTheGuestReadsFromDiskAgain() throws Exception {
        Vm vm = warmWebVm();
        MigrationPlan plan = MigrationPlan.builder(vm.id()).verify(true).option("page-cache", "drop").build();
        MigrationReport r = service.start(plan, MigrationListener.NONE).result().toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        assertCompletedAndVerified(r);
        assertTrue(r.bytesNetwork() < DATA_PAGES * 4096 / 2, "network " + r.bytesNetwork());
        Vm dest = backend.vms().stream().filter(v -> v != vm).findFirst().orElseThrow();
        assertTrue(dest.guestOs().orElseThrow().cleanPageCache().size() < DATA_PAGES / 2);
        MigrationPlan both = MigrationPlan.builder(dest.id()).option("page-cache", "drop")
                .detector(GuestAgentDetector.NAME).san(LinkSpec.of(DataRate.parse("1g"))).build();
        MigrationReport refused = service.start(both, MigrationListener.NONE).result().toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        assertEquals(MigrationStatus.FAILED, refused.status());
        assertTrue(refused.failureReason().contains("exclude each other"), refused.failureReason());
    }

    @Test
    void aDetectorWithoutSanPathIsOneClearError() throws Exception {
        Vm vm = warmWebVm();
        MigrationPlan plan = MigrationPlan.builder(vm.id()).detector(GuestAgentDetector.NAME).build();
        MigrationReport r = service.start(plan, MigrationListener.NONE).result().toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        assertEquals(MigrationStatus.FAILED, r.status());
        assertTrue(r.failureReason().contains("--san-rate"), r.failureReason());
        assertEquals(VmState.RUNNING, vm.state());
    }

    /** The backend's VMs as the directory the migration service looks them up in. */
    static VmDirectory directory(EmuBackend backend) {
        BackendVmDirectory d = new BackendVmDirectory();
        d.add("emu", 0, backend);
        return d;
    }
}
