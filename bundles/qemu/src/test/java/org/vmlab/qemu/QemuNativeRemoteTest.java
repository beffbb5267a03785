package org.vmlab.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.DataRate;
import org.vmlab.api.migration.LinkSpec;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPhase;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.migration.Verification;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.engines.MigrationReceiver;
import org.vmlab.engines.NativeTunnelService;

/**
 * qemu-native to another node: two QEMU backends with their own run roots stand for two nodes,
 * each with a real migration receiver on loopback; QEMU's stream crosses vmlab's authenticated
 * tunnel between them.
 */
class QemuNativeRemoteTest {
    @TempDir
    Path dir;

    QemuBackend a;
    QemuBackend b;
    MigrationReceiver nodeA;
    MigrationReceiver nodeB;
    QemuNativeEngine engine;

    @BeforeAll
    static void qemu() {
        QemuTestSupport.assumeQemu();
    }

    @BeforeEach
    void nodes() throws Exception {
        Files.createDirectories(dir.resolve("a"));
        Files.createDirectories(dir.resolve("b"));
        a = new QemuBackend(QemuTestSupport.settings(dir.resolve("a")).withAccelerator("tcg"));
        a.start();
        b = new QemuBackend(QemuTestSupport.settings(dir.resolve("b")).withAccelerator("tcg"));
        b.start();
        Path secret = dir.resolve("secret/transport.secret");
        nodeA = new MigrationReceiver(n -> "qemu".equals(n) ? a : null, MigrationReceiver.Settings.loopback(secret));
        nodeB = new MigrationReceiver(n -> "qemu".equals(n) ? b : null, MigrationReceiver.Settings.loopback(secret));
        engine = new QemuNativeEngine(a, new NativeTunnelService(nodeA));
    }

    @AfterEach
    void stop() {
        for (AutoCloseable c : new AutoCloseable[] {nodeA, nodeB, a, b}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                System.err.println("closing " + c + ": " + e);
            }
        }
    }

    private QemuVm boot(String name) {
        QemuVm src = (QemuVm) a.create(VmSpec.of(name, "qemu", 128L << 20));
        return src;
    }

    private MigrationReport migrate(QemuVm src, MigrationPlan plan, MigrationListener l) {
        src.beginMigration();
        return engine.migrate(plan, QemuNativeEngineTest.context(src, l));
    }

    private static String status(QemuVm vm) {
        return (String) vm.qmp().execute("query-status", null, QemuVm.QMP_TIMEOUT).get("status");
    }

    private static List<Path> runFolders(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(Files::isDirectory).toList();
        }
    }

    private static boolean eventually(java.util.function.BooleanSupplier c, Duration t) throws InterruptedException {
        long end = System.nanoTime() + t.toNanos();
        while (System.nanoTime() < end) {
            if (c.getAsBoolean()) {
                return true;
            }
            Thread.sleep(50);
        }
        return c.getAsBoolean();
    }

    @Test
    @Timeout(300)
    void verifiedMigrationToAnotherNode() throws Exception {
        QemuVm src = boot("far");
        MigrationReport r = migrate(src, MigrationPlan.builder("far").engine("qemu-native")
                .destination(nodeB.localEndpoint()).network(LinkSpec.of(DataRate.parse("2g")))
                .downtimeLimit(Duration.ofMillis(100)).verify(true)
                .option("xbzrle", "true").option("auto-converge", "true").build(), MigrationListener.NONE);
        System.out.println("qemu-native remote: " + r.status() + " total " + r.totalTimeMs() + " ms, downtime "
                + r.downtimeMs() + " ms, " + r.bytesNetwork() + " bytes, rounds " + r.rounds() + ", verified "
                + r.verified() + ", to " + r.destination());
        assertEquals(MigrationStatus.COMPLETED, r.status(), r.failureReason());
        assertEquals(Verification.PASSED, r.verified());
        assertEquals(nodeB.localEndpoint().toString(), r.destination());
        assertTrue(r.totalTimeMs() > 0 && r.bytesNetwork() > 0 && r.rounds() >= 1, r.toString());
        assertEquals(VmState.STOPPED, src.state());
        assertEquals(List.of(), a.vms());
        assertEquals(List.of(), runFolders(a.settings().runRoot()), "nothing left in the source run root");
        assertEquals(1, b.vms().size());
        QemuVm dst = (QemuVm) b.vms().get(0);
        assertEquals("far", dst.id());
        assertEquals(VmState.RUNNING, dst.state());
        assertEquals("running", status(dst));
        long before = Files.size(dst.process().consoleLog());
        assertTrue(eventually(() -> {
            try {
                return Files.size(dst.process().consoleLog()) > before + 20
                        && Files.readString(dst.process().consoleLog(), java.nio.charset.StandardCharsets.ISO_8859_1)
                        .contains("tick");
            } catch (IOException e) {
                return false;
            }
        }, Duration.ofSeconds(30)), "the guest ticks on at the destination node");
        assertTrue(eventually(() -> nodeB.activeSessions() == 0, Duration.ofSeconds(5)));
    }

    @Test
    @Timeout(300)
    void refusedBeforeAnythingMoves() throws Exception {
        QemuVm src = boot("stay");
        MigrationPlan.Builder p = MigrationPlan.builder("stay").engine("qemu-native").destination(nodeB.localEndpoint());

        MigrationReport multi = migrate(src, p.streams(2).build(), MigrationListener.NONE);
        assertEquals(MigrationStatus.FAILED, multi.status());
        assertTrue(multi.failureReason().contains("one stream") && !multi.failureReason().contains("\n"),
                multi.failureReason());

        MigrationReport post = migrate(src, p.streams(1).option("postcopy-ram", "true").build(), MigrationListener.NONE);
        assertEquals(MigrationStatus.FAILED, post.status());
        assertTrue(post.failureReason().contains("postcopy-ram") && !post.failureReason().contains("\n"),
                post.failureReason());

        // A receiver that does not share this node's secret.
        try (MigrationReceiver stranger = new MigrationReceiver(n -> "qemu".equals(n) ? b : null,
                MigrationReceiver.Settings.loopback(dir.resolve("other/transport.secret")))) {
            MigrationReport wrong = migrate(src, MigrationPlan.builder("stay").engine("qemu-native")
                    .destination(stranger.localEndpoint()).build(), MigrationListener.NONE);
            System.out.println("wrong secret: " + wrong.failureReason());
            assertEquals(MigrationStatus.FAILED, wrong.status());
            assertTrue(wrong.failureReason().contains("tunnel") && !wrong.failureReason().contains("\n"),
                    wrong.failureReason());
            // The stranger counts the refusal on its own thread, a moment after the source saw it.
            assertTrue(eventually(() -> stranger.refusedConnections() == 1, Duration.ofSeconds(5)),
                    "the stranger refused the connection");
        }
        assertEquals(VmState.RUNNING, src.state());
        assertEquals("running", status(src));
        assertEquals(List.of(src), a.vms());
        assertEquals(List.of(), b.vms(), "nothing was prepared on the destination");
    }

    @Test
    @Timeout(300)
    void destinationQemuKilledMidStream() throws Exception {
        QemuVm src = boot("cut");
        MigrationListener killer = new MigrationListener() {
            @Override
            public void onPhase(MigrationPhase phase) {
                if (phase != MigrationPhase.PRECOPY) {
                    return;
                }
                Thread t = new Thread(() -> {
                    try {
                        Thread.sleep(1500);
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (var v : b.vms()) {
                        long pid = ((QemuVm) v).process().pid();
                        System.out.println("killing destination QEMU pid " + pid);
                        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                    }
                });
                t.setDaemon(true);
                t.start();
            }
        };
        // 8 Mbit/s: the guest's RAM takes well over the 1.5 s before the kill.
        MigrationReport r = migrate(src, MigrationPlan.builder("cut").engine("qemu-native")
                .destination(nodeB.localEndpoint()).network(LinkSpec.of(DataRate.parse("8m"))).build(), killer);
        System.out.println("destination killed: " + r.status() + ": " + r.failureReason());
        assertEquals(MigrationStatus.FAILED, r.status());
        assertFalse(r.failureReason().contains("\n"), r.failureReason());
        assertEquals(VmState.RUNNING, src.state());
        assertTrue(eventually(() -> "running".equals(status(src)), Duration.ofSeconds(10)));
        assertEquals(List.of(src), a.vms());
        assertTrue(eventually(() -> b.vms().isEmpty(), Duration.ofSeconds(20)), "no VM left on the destination: " + b.vms());
        assertTrue(eventually(() -> {
            try {
                return runFolders(b.settings().runRoot()).isEmpty();
            } catch (IOException e) {
                return false;
            }
        }, Duration.ofSeconds(10)), "no run folder left on the destination");
        assertTrue(QemuTestSupport.waitFor(src.process().consoleLog(), "tick", Duration.ofSeconds(10)));
    }
}
