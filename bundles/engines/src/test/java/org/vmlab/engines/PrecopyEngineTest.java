package org.vmlab.engines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vmlab.api.DataRate;
import org.vmlab.api.VmlabException;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.migration.LinkSpec;
import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.migration.Verification;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.api.workload.InvariantResult;
import org.vmlab.emu.EmuBackend;
import org.vmlab.emu.EmuSettings;
import org.vmlab.ordering.HotLastOrdering;
import org.vmlab.ordering.RandomOrdering;
import org.vmlab.ordering.SequentialOrdering;
import org.vmlab.transport.FrameChannel;
import org.vmlab.transport.SharedSecret;
import org.vmlab.transport.TransportException;
import org.vmlab.workloads.MemoryWorkload;

@Timeout(120)
class PrecopyEngineTest {
    static final long MIB = 1 << 20;

    @TempDir
    static Path dir;
    static EmuBackend backend;
    static MigrationReceiver receiver;
    static DefaultMigrationService service;
    static int counter;

    @BeforeAll
    static void setUp() throws IOException {
        backend = new EmuBackend(EmuSettings.forTests(dir));
        backend.registerWorkload("memory", new MemoryWorkload());
        receiver = new MigrationReceiver(name -> "emu".equals(name) ? backend : null,
                MigrationReceiver.Settings.loopback(dir.resolve("secret/transport.secret")).withTimeout(Duration.ofSeconds(2)));
        service = newService(new PrecopyEngine(receiver));
    }

    static DefaultMigrationService newService(PrecopyEngine engine) {
        DefaultMigrationService s = new DefaultMigrationService(backend.directory());
        s.addEngine("precopy", 100, engine);
        s.addOrdering("sequential", 100, new SequentialOrdering());
        s.addOrdering("random", 0, new RandomOrdering());
        s.addOrdering("hot-last", 0, new HotLastOrdering());
        return s;
    }

    @AfterAll
    static void tearDown() {
        receiver.close();
        backend.close();
    }

    @AfterEach
    void cleanVms() throws Exception {
        awaitNoIncoming();
        for (Vm vm : backend.vms()) {
            vm.destroy();
        }
    }

    static Vm memoryVm(String rate, long memory, String workingSet) {
        String name = "vm" + (++counter);
        return backend.create(VmSpec.of(name, "emu", memory).withVcpus(1)
                .withWorkload("memory", Map.of("rate", rate, "working-set", workingSet)));
    }

    static MigrationReport run(MigrationPlan plan) throws Exception {
        Migration m = service.start(plan, MigrationListener.NONE);
        return m.result().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    static InvariantResult invariantOf(Vm vm) {
        vm.pause();
        try {
            return MemoryWorkload.invariantIn(vm.memory()).check(vm.memory());
        } finally {
            vm.resume();
        }
    }

    static Vm incoming(String sourceName) {
        return backend.vms().stream().filter(v -> v.spec().name().equals(sourceName)).findFirst().orElseThrow();
    }

    static void awaitNoIncoming() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5000;
        while (System.currentTimeMillis() < deadline
                && (receiver.activeSessions() > 0 || backend.vms().stream().anyMatch(v -> v.state() == VmState.MIGRATING))) {
            Thread.sleep(20);
        }
    }

    static void assertNoDestinationLeft(String name) throws InterruptedException {
        awaitNoIncoming();
        assertEquals(0, receiver.activeSessions());
        assertEquals(1, backend.vms().stream().filter(v -> v.spec().name().equals(name)).count(),
                "only the source of " + name + " exists: " + backend.vms().stream().map(Vm::id).toList());
    }

    static void assertCompleteReport(MigrationReport r, Vm source) {
        assertEquals(MigrationStatus.COMPLETED, r.status(), r.failureReason());
        assertEquals("precopy", r.engine());
        assertEquals(source.id(), r.vmId());
        assertEquals(MigrationReport.LOCAL, r.destination());
        assertEquals(r.rounds(), r.roundRows().size());
        assertTrue(r.pagesSent() >= source.memory().pageCount(), "pagesSent " + r.pagesSent());
        assertTrue(r.bytesNetwork() > 0);
        assertEquals(0, r.bytesSan());
        assertTrue(r.totalTimeMs() >= r.downtimeMs());
        assertFalse(r.timeline().isEmpty());
        assertEquals(VmState.STOPPED, source.state(), "the source is destroyed after the VM moved");
    }

    @Test
    void idleVmMigratesAndVerifies() throws Exception {
        Vm src = backend.create(VmSpec.of("idle" + (++counter), "emu", 32 * MIB));
        src.memory().putLong(4096 * 10, 42);
        MigrationReport r = run(MigrationPlan.builder(src.id()).verify(true).build());
        assertCompleteReport(r, src);
        assertEquals(Verification.PASSED, r.verified());
        assertTrue(r.pagesZero() >= src.memory().pageCount() - 2, "zero pages elided: " + r.pagesZero());
        assertTrue(r.bytesNetwork() < 2 * MIB, "zero pages cost no content: " + r.bytesNetwork());
        Vm dst = incoming(src.spec().name());
        assertEquals(VmState.RUNNING, dst.state());
        assertNotEquals(src.id(), dst.id());
        assertEquals(42, dst.memory().getLong(4096 * 10));
        System.out.printf("idle 32 MiB: total %d ms, setup %d ms, downtime %d ms, %d bytes, %d rounds%n",
                r.totalTimeMs(), r.setupTimeMs(), r.downtimeMs(), r.bytesNetwork(), r.rounds());
    }

    @ParameterizedTest
    @ValueSource(strings = {"sequential", "random", "hot-last"})
    void memoryWorkloadMigratesUnderVerifyWithEachOrdering(String ordering) throws Exception {
        Vm src = memoryVm("20M", 64 * MIB, "16M");
        Thread.sleep(300);
        String name = src.spec().name();
        MigrationReport r = run(MigrationPlan.builder(src.id()).ordering(ordering).verify(true)
                .network(LinkSpec.of(DataRate.parse("1g"))).build());
        assertCompleteReport(r, src);
        assertEquals(ordering, r.ordering());
        assertEquals(Verification.PASSED, r.verified());
        Vm dst = incoming(name);
        InvariantResult first = invariantOf(dst);
        assertTrue(first.holds(), first.detail());
        Thread.sleep(400);
        InvariantResult later = invariantOf(dst);
        assertTrue(later.holds(), later.detail());
        assertTrue(later.steps() > first.steps(), "workload keeps running on the destination: "
                + first.steps() + " -> " + later.steps());
        System.out.printf("memory 64 MiB @20M, %s: total %d ms, downtime %d ms, %d rounds, %d pages (%d resent, %d zero), %d bytes%n",
                ordering, r.totalTimeMs(), r.downtimeMs(), r.rounds(), r.pagesSent(), r.pagesResent(), r.pagesZero(),
                r.bytesNetwork());
    }

    @Test
    void parallelStreamsWithLz4() throws Exception {
        Vm src = memoryVm("20M", 64 * MIB, "32M");
        Thread.sleep(300);
        MigrationReport r = run(MigrationPlan.builder(src.id()).streams(4).compress(true).verify(true).build());
        assertCompleteReport(r, src);
        assertEquals(Verification.PASSED, r.verified());
        assertTrue(invariantOf(incoming(src.spec().name())).holds());
        System.out.printf("4 streams + LZ4: total %d ms, downtime %d ms, %d bytes%n",
                r.totalTimeMs(), r.downtimeMs(), r.bytesNetwork());
    }

    /**
     * A policy that holds back every page it has seen dirty: precopy sends the rest, switches over
     * once every stale page is held, and the switchover sends the held ones: verified. The held
     * pages cost no re-send, so fewer pages go twice than in sequential order.
     */
    @Test
    void heldBackPagesGoAtTheSwitchover() throws Exception {
        org.vmlab.api.ordering.OrderingPolicy holdAll = new org.vmlab.api.ordering.OrderingPolicy() {
            @Override
            public long[] order(org.vmlab.api.ordering.RoundContext round) {
                return round.toSend().toArray();
            }

            @Override
            public org.vmlab.api.memory.PageSet holdBack(org.vmlab.api.ordering.RoundContext round) {
                long[] dirty = round.toSend().stream().filter(p -> round.history().recentBits(p) != 0).toArray();
                return org.vmlab.api.memory.PageSet.of(round.toSend().capacity(), dirty);
            }
        };
        service.addOrdering("hold-dirty", 0, holdAll);
        try {
            Vm src = memoryVm("8M", 64 * MIB, "16M");
            Thread.sleep(2500);
            MigrationReport held = run(MigrationPlan.builder(src.id()).ordering("hold-dirty")
                    .network(LinkSpec.of(DataRate.parse("200m"))).verify(true).build());
            assertCompleteReport(held, src);
            assertEquals(Verification.PASSED, held.verified());
            assertTrue(held.rounds() <= 4, "held pages end precopy early: " + held.roundRows());
            System.out.printf("hold-dirty: %d rounds, %d re-sent, %d ms down%n", held.rounds(), held.pagesResent(),
                    held.downtimeMs());
        } finally {
            service.removeOrdering(holdAll);
        }
    }

    @Test
    void maxRoundsIsRespected() throws Exception {
        Vm src = memoryVm("0", 32 * MIB, "16M");
        MigrationReport r = run(MigrationPlan.builder(src.id()).maxRounds(3).downtimeLimit(Duration.ofNanos(1))
                .network(LinkSpec.of(DataRate.parse("400m"))).verify(true).option("auto-converge", "false").build());
        assertCompleteReport(r, src);
        assertEquals(4, r.rounds(), "3 precopy rounds + the stop-and-copy round: " + r.roundRows());
        assertEquals(Verification.PASSED, r.verified());
    }

    /**
     * With a downtime limit so generous that QEMU's rule switches over right after round 0, the
     * converge rule still goes on while a round shrinks what is left (the guest writes 20 MB/s,
     * the link carries 50 MB/s), and a bad switchover option fails before a page moves.
     */
    @Test
    void convergeGoesPastTheThresholdWhileRoundsShrinkWhereQemusRuleStops() throws Exception {
        Vm src = memoryVm("20M", 64 * MIB, "16M");
        String name = src.spec().name();
        Thread.sleep(300);
        VmlabException bad = assertThrows(VmlabException.class,
                () -> run(MigrationPlan.builder(src.id()).option("switchover", "soon").build()));
        assertTrue(bad.getMessage().contains("option 'switchover' of engine 'precopy'"), bad.getMessage());
        assertEquals(VmState.RUNNING, src.state());

        MigrationReport threshold = run(MigrationPlan.builder(src.id()).downtimeLimit(Duration.ofSeconds(10))
                .network(LinkSpec.of(DataRate.parse("400m"))).option("auto-converge", "false")
                .option("switchover", "threshold").verify(true).build());
        assertCompleteReport(threshold, src);
        assertEquals(2, threshold.rounds(), "round 0, then the stop-and-copy: " + threshold.roundRows());

        Vm back = incoming(name);
        MigrationReport converge = run(MigrationPlan.builder(back.id()).downtimeLimit(Duration.ofSeconds(10))
                .network(LinkSpec.of(DataRate.parse("400m"))).option("auto-converge", "false").verify(true).build());
        assertEquals(MigrationStatus.COMPLETED, converge.status(), converge.failureReason());
        assertEquals(Verification.PASSED, converge.verified());
        assertTrue(converge.rounds() >= 3, "at least one round past the threshold: " + converge.roundRows());
        System.out.printf("switchover at 20 MB/s dirtying, 400m: threshold %d rounds, %d ms down; converge %d rounds,"
                        + " %d ms down%n", threshold.rounds(), threshold.downtimeMs(), converge.rounds(),
                converge.downtimeMs());
    }

    @Test
    void cancelLeavesTheSourceRunning() throws Exception {
        Vm src = memoryVm("20M", 64 * MIB, "32M");
        String name = src.spec().name();
        Thread.sleep(300);
        Migration m = service.start(MigrationPlan.builder(src.id()).network(LinkSpec.of(DataRate.parse("10m"))).build(),
                MigrationListener.NONE);
        Thread.sleep(500);
        m.cancel();
        MigrationReport r = m.result().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(MigrationStatus.CANCELLED, r.status());
        assertEquals(VmState.RUNNING, src.state());
        assertTrue(invariantOf(src).holds());
        assertNoDestinationLeft(name);
    }

    @Test
    void connectionCutAtRandomPointsLeavesTheSourceRunning() throws Exception {
        Random random = new Random(7);
        Vm probe = memoryVm("20M", 16 * MIB, "8M");
        Thread.sleep(400);
        long total = run(MigrationPlan.builder(probe.id()).build()).bytesNetwork();
        System.out.printf("cut test: a whole migration sends %d bytes%n", total);
        int failed = 0;
        for (int i = 0; i < 24; i++) {
            Vm src = memoryVm("20M", 16 * MIB, "8M");
            String name = src.spec().name();
            Thread.sleep(400);
            long budget = i < 4 ? random.nextInt(200) : random.nextInt((int) (total * 0.7));
            try (CutProxy proxy = new CutProxy(receiver.localEndpoint().port(), budget, false)) {
                MigrationReport r = run(MigrationPlan.builder(src.id()).streams(1 + i % 3)
                        .destination(new Endpoint("127.0.0.1", proxy.port())).build());
                if (r.status() == MigrationStatus.COMPLETED) {
                    assertFalse(proxy.tripped(), "completed although cut at " + budget);
                    awaitNoIncoming();
                } else if (r.failureReason().contains("after commit")) {
                    // Cut between COMMIT and the destination's acknowledgement: the VM may already
                    // run at the destination, so the source must stay paused (never run twice).
                    failed++;
                    assertEquals(MigrationStatus.FAILED, r.status());
                    assertEquals(VmState.PAUSED, src.state(), r.failureReason());
                    awaitNoIncoming();
                    for (Vm v : backend.vms()) {
                        if (v.spec().name().equals(name)) {
                            v.destroy();
                        }
                    }
                } else {
                    failed++;
                    assertEquals(MigrationStatus.FAILED, r.status());
                    assertTrue(r.failureReason() != null && !r.failureReason().isBlank());
                    assertEquals(VmState.RUNNING, src.state(), "cut at " + budget + ": " + r.failureReason());
                    assertTrue(invariantOf(src).holds());
                    assertNoDestinationLeft(name);
                    src.destroy();
                }
            }
        }
        assertTrue(failed >= 20, "cuts that failed the migration: " + failed);
    }

    @Test
    void hungDestinationIsDetectedWithinTheTimeout() throws Exception {
        Vm src = memoryVm("20M", 32 * MIB, "16M");
        String name = src.spec().name();
        Thread.sleep(400);
        try (CutProxy proxy = new CutProxy(receiver.localEndpoint().port(), 100_000, true)) {
            long t0 = System.nanoTime();
            MigrationReport r = run(MigrationPlan.builder(src.id()).destination(new Endpoint("127.0.0.1", proxy.port())).build());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(MigrationStatus.FAILED, r.status());
            assertTrue(ms < 2000 + 3000, "detected after " + ms + " ms: " + r.failureReason());
            assertEquals(VmState.RUNNING, src.state());
            assertTrue(invariantOf(src).holds());
        }
        assertNoDestinationLeft(name);
    }

    @Test
    void silentDestinationIsDetectedWithinTheTimeout() throws Exception {
        Vm src = memoryVm("20M", 16 * MIB, "8M");
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            long t0 = System.nanoTime();
            MigrationReport r = run(MigrationPlan.builder(src.id())
                    .destination(new Endpoint("127.0.0.1", silent.getLocalPort())).build());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(MigrationStatus.FAILED, r.status());
            assertTrue(ms >= 1500 && ms < 4000, "detected after " + ms + " ms: " + r.failureReason());
            assertTrue(r.failureReason().contains("did not answer") || r.failureReason().contains("silent"),
                    r.failureReason());
            assertEquals(VmState.RUNNING, src.state());
        }
    }

    @Test
    void wrongSecretAndGarbageAreRefusedAndTheReceiverKeepsServing() throws Exception {
        int before = receiver.refusedConnections();
        Endpoint e = receiver.localEndpoint();
        SharedSecret wrong = SharedSecret.of("not-the-secret-at-all-0123456789".getBytes());
        assertThrows(TransportException.class, () -> FrameChannel.connect(
                new java.net.InetSocketAddress(e.host(), e.port()), wrong, Duration.ofSeconds(2), null));
        try (Socket s = new Socket(e.host(), e.port())) {
            OutputStream out = s.getOutputStream();
            out.write(new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
                    24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38});
            out.flush();
            s.setSoTimeout(3000);
            assertEquals(-1, s.getInputStream().read());
        }
        long deadline = System.currentTimeMillis() + 2000;
        while (receiver.refusedConnections() < before + 2 && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(before + 2, receiver.refusedConnections());
        Vm src = backend.create(VmSpec.of("after" + (++counter), "emu", 8 * MIB));
        MigrationReport r = run(MigrationPlan.builder(src.id()).verify(true).build());
        assertCompleteReport(r, src);
    }

    @Test
    void badPlansAreRefusedWithOneSentence() {
        Vm src = backend.create(VmSpec.of("bad" + (++counter), "emu", 8 * MIB));
        VmlabException e = assertThrows(VmlabException.class,
                () -> service.start(MigrationPlan.builder("nope").build(), MigrationListener.NONE));
        assertTrue(e.getMessage().contains("no VM 'nope'"));
        e = assertThrows(VmlabException.class,
                () -> service.start(MigrationPlan.builder(src.id()).engine("warp").build(), MigrationListener.NONE));
        assertTrue(e.getMessage().contains("warp"));
        e = assertThrows(VmlabException.class,
                () -> service.start(MigrationPlan.builder(src.id()).ordering("chaos").build(), MigrationListener.NONE));
        assertTrue(e.getMessage().contains("chaos"));
        assertEquals(VmState.RUNNING, src.state());
    }

    @Test
    void brokenOrderingPolicyFailsCleanly() throws Exception {
        Vm src = memoryVm("20M", 16 * MIB, "8M");
        service.addOrdering("broken", -1, round -> new long[]{0, 0});
        MigrationReport r = run(MigrationPlan.builder(src.id()).ordering("broken").build());
        assertEquals(MigrationStatus.FAILED, r.status());
        assertTrue(r.failureReason().contains("not a permutation"), r.failureReason());
        assertEquals(VmState.RUNNING, src.state());
        assertNoDestinationLeft(src.spec().name());
    }

    @Test
    void progressAndListing() throws Exception {
        Vm src = memoryVm("20M", 32 * MIB, "16M");
        Thread.sleep(1500); // the workload has a throughput sample by now
        Migration m = service.start(MigrationPlan.builder(src.id()).network(LinkSpec.of(DataRate.parse("100m")))
                .build(), MigrationListener.NONE);
        assertEquals("sequential", m.plan().ordering(), "default ordering by ranking");
        MigrationReport r = m.result().toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertCompleteReport(r, src);
        assertTrue(m.progress().isPresent());
        assertTrue(service.find(m.id()).isPresent());
        assertTrue(service.migrations().contains(m));
        assertTrue(r.timeline().stream().anyMatch(s -> s.guestOpsPerSecond() > 0), r.timeline().toString());
        assertTrue(r.totalTimeMs() >= 32L * MIB * 8 / 100_000_000 * 1000 * 9 / 10 / 10, "rate limited");
    }
}
