package org.vmlab.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.DataRate;
import org.vmlab.api.migration.LinkSpec;
import org.vmlab.api.migration.MigrationContext;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.migration.Verification;
import org.vmlab.api.ordering.OrderingPolicy;
import org.vmlab.api.pagecache.PageCacheDetector;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.workloads.MemoryWorkload;

/** QEMU's own migration between two local QEMUs, driven through the vmlab engine interface. */
class QemuNativeEngineTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void qemu() {
        QemuTestSupport.assumeQemu();
    }

    static MigrationContext context(Vm vm) {
        return context(vm, MigrationListener.NONE);
    }

    static MigrationContext context(Vm vm, MigrationListener listener) {
        return new MigrationContext() {
            @Override
            public Vm vm() {
                return vm;
            }

            @Override
            public MigrationListener listener() {
                return listener;
            }

            @Override
            public OrderingPolicy ordering() {
                return null;
            }

            @Override
            public Optional<PageCacheDetector> detector() {
                return Optional.empty();
            }

            @Override
            public boolean isCancelled() {
                return false;
            }
        };
    }

    @Test
    void migratesAndReportsQemuFigures() throws Exception {
        QemuBackend b = new QemuBackend(QemuTestSupport.settings(dir).withAccelerator("tcg"));
        b.start();
        QemuNativeEngine engine = new QemuNativeEngine(b);
        try {
            QemuVm src = (QemuVm) b.create(VmSpec.of("nat", "qemu", 128L << 20));

            // Bad options: a clear failure and the source untouched.
            src.beginMigration();
            MigrationReport bad = engine.migrate(MigrationPlan.builder("nat").engine("qemu-native")
                    .option("turbo", "true").build(), context(src));
            assertEquals(MigrationStatus.FAILED, bad.status());
            assertTrue(bad.failureReason().contains("turbo"), bad.failureReason());
            assertEquals(VmState.RUNNING, src.state());
            assertEquals(List.of(src), b.vms());

            src.beginMigration();
            MigrationReport r = engine.migrate(MigrationPlan.builder("nat").engine("qemu-native")
                    .network(LinkSpec.of(DataRate.parse("4g"))).downtimeLimit(Duration.ofMillis(100))
                    .verify(true).option("xbzrle", "true").build(), context(src));
            System.out.println("qemu-native: " + r.status() + " total " + r.totalTimeMs() + " ms, setup "
                    + r.setupTimeMs() + " ms, downtime " + r.downtimeMs() + " ms, " + r.bytesNetwork()
                    + " bytes, rounds " + r.rounds() + ", pages " + r.pagesSent() + " (zero " + r.pagesZero()
                    + "), verified " + r.verified());
            assertEquals(MigrationStatus.COMPLETED, r.status(), r.failureReason());
            assertEquals(Verification.PASSED, r.verified());
            assertTrue(r.totalTimeMs() > 0 && r.bytesNetwork() > 0 && r.rounds() >= 1, r.toString());
            assertTrue(r.pagesZero() > 0 && r.pagesSent() >= r.pagesZero(), r.toString());
            assertEquals(VmState.STOPPED, src.state());
            QemuVm dst = (QemuVm) b.vms().get(0);
            assertEquals("nat-incoming", dst.id());
            assertEquals(VmState.RUNNING, dst.state());
            assertEquals("running", dst.qmp().execute("query-status", null, QemuVm.QMP_TIMEOUT).get("status"));
            assertTrue(QemuTestSupport.waitFor(dst.process().consoleLog(), "tick", Duration.ofSeconds(20)),
                    "the guest runs on at the destination");
        } finally {
            b.close();
        }
    }

    /** The postcopy-ram precondition: guest RAM on tmpfs or hugetlbfs, said before anything moves. */
    @Test
    void postcopyRamNeedsSharedMemoryForItsRam() throws Exception {
        String type = java.nio.file.Files.getFileStore(dir).type();
        Optional<String> why = QemuNativeEngine.postcopyUnsupported(dir.resolve("run/not/yet"));
        assertEquals(!type.equals("tmpfs") && !type.equals("hugetlbfs"), why.isPresent(), type + ": " + why);
        why.ifPresent(w -> assertTrue(w.contains("tmpfs") && w.contains(type) && w.contains("runDir"), w));
        Path shm = Path.of("/dev/shm");
        if (java.nio.file.Files.isDirectory(shm) && java.nio.file.Files.getFileStore(shm).type().equals("tmpfs")) {
            assertEquals(Optional.empty(), QemuNativeEngine.postcopyUnsupported(shm.resolve("vmlab-none")));
        }
    }

    /**
     * QEMU's postcopy on a busy guest whose RAM is on tmpfs: the link (100 Mbit/s) is slower than
     * the guest dirties memory, so precopy cannot converge and the engine switches to postcopy;
     * the destination's memory equals the source's and the guest runs on there.
     */
    @Test
    void postcopyRamMovesABusyGuestWhoseRamIsOnTmpfs() throws Exception {
        Optional<Path> image = QemuTestSupport.guestImage();
        assumeTrue(image.isPresent(), "no guest image (guest/build.sh, or -Dvmlab.guest.image): skipped");
        Path shm = Path.of("/dev/shm");
        assumeTrue(java.nio.file.Files.isDirectory(shm) && java.nio.file.Files.getFileStore(shm).type().equals("tmpfs"),
                "no tmpfs at /dev/shm: skipped");
        Path runRoot = java.nio.file.Files.createTempDirectory(shm, "vmlab-pc-");
        QemuBackend b = new QemuBackend(QemuSettings.defaults(dir, image.get()).withRunRoot(runRoot.resolve("run"))
                .withAccelerator("tcg"));
        b.bindMemoryWorkload(new MemoryWorkload());
        b.start();
        try {
            QemuVm src = (QemuVm) b.create(VmSpec.of("pc", "qemu", 256L << 20).withVcpus(1).withWorkload("memory",
                    java.util.Map.of("working-set", "48M", "rate", "24M", "check", "1")));
            assertTrue(QemuTestSupport.waitFor(src.process().consoleLog(), "start pages=", Duration.ofSeconds(60)),
                    src.process().lastLines(5));
            src.beginMigration();
            List<org.vmlab.api.migration.MigrationPhase> phases = new java.util.concurrent.CopyOnWriteArrayList<>();
            MigrationReport r = new QemuNativeEngine(b).migrate(MigrationPlan.builder("pc").engine("qemu-native")
                    .network(LinkSpec.of(DataRate.parse("100m"))).verify(true).option("postcopy-ram", "true").build(),
                    context(src, new MigrationListener() {
                        @Override
                        public void onPhase(org.vmlab.api.migration.MigrationPhase phase) {
                            phases.add(phase);
                        }
                    }));
            System.out.println("qemu-native postcopy: " + r.status() + " total " + r.totalTimeMs() + " ms, downtime "
                    + r.downtimeMs() + " ms, " + r.bytesNetwork() + " bytes, rounds " + r.rounds() + ", verified "
                    + r.verified() + (r.failureReason() != null ? ", " + r.failureReason() : ""));
            assertEquals(MigrationStatus.COMPLETED, r.status(), r.failureReason());
            assertEquals(Verification.PASSED, r.verified());
            assertTrue(phases.contains(org.vmlab.api.migration.MigrationPhase.POSTCOPY), "switched to postcopy: " + phases);
            QemuVm dst = (QemuVm) b.vms().get(0);
            assertEquals(VmState.RUNNING, dst.state());
            assertTrue(QemuTestSupport.waitFor(dst.process().consoleLog(), "check ok", Duration.ofSeconds(30)),
                    "the guest checks itself at the destination: " + dst.process().lastLines(5));
        } finally {
            b.close();
            QemuProcess.deleteRunDir(runRoot);
        }
    }

    @Test
    void refusesOtherBackendsAndRemoteDestinations() throws Exception {
        QemuBackend b = new QemuBackend(QemuTestSupport.settings(dir).withAccelerator("tcg"));
        QemuNativeEngine engine = new QemuNativeEngine(b);
        try {
            Vm notQemu = (Vm) java.lang.reflect.Proxy.newProxyInstance(Vm.class.getClassLoader(),
                    new Class<?>[] {Vm.class}, (p, m, a) -> m.getName().equals("id") ? "e" : "emu");
            assertTrue(engine.unsupportedReason(notQemu).orElseThrow().contains("only qemu VMs"));
            MigrationReport r = engine.migrate(MigrationPlan.builder("e").engine("qemu-native").build(), context(notQemu));
            assertEquals(MigrationStatus.FAILED, r.status());
        } finally {
            b.close();
        }
    }
}
