package org.vmlab.engines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vmlab.engines.EngineTestNode.MIB;
import static org.vmlab.engines.EngineTestNode.invariantOf;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.vmlab.api.DataRate;
import org.vmlab.api.VmlabException;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.migration.LinkSpec;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.migration.TimelineSample;
import org.vmlab.api.migration.Verification;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmState;
import org.vmlab.api.workload.InvariantResult;

/**
 * Every engine with every ordering under verification, and what only postcopy has: faults served
 * ahead of the push, cooperative faults, and the loss of the source after the commit.
 */
@Timeout(180)
class PostcopyEngineTest {
    @TempDir
    static Path dir;
    static EngineTestNode node;

    @BeforeAll
    static void setUp() throws IOException {
        node = new EngineTestNode(dir, Duration.ofSeconds(2));
    }

    @AfterAll
    static void tearDown() {
        node.close();
    }

    @AfterEach
    void clean() throws InterruptedException {
        node.destroyAll();
    }

    static Stream<Arguments> enginesAndOrderings() {
        List<Arguments> all = new ArrayList<>();
        for (String e : EngineTestNode.ENGINES) {
            for (String o : EngineTestNode.ORDERINGS) {
                all.add(Arguments.of(e, o));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("enginesAndOrderings")
    void everyEngineWithEveryOrderingVerifies(String engine, String ordering) throws Exception {
        Vm src = node.memoryVm("20M", 64 * MIB, "16M", 2, Map.of("distribution", "zipf"));
        Thread.sleep(300);
        String name = src.spec().name();
        MigrationReport r = node.run(MigrationPlan.builder(src.id()).engine(engine).ordering(ordering).verify(true)
                .network(LinkSpec.of(DataRate.parse("1g"))).build());
        assertEquals(MigrationStatus.COMPLETED, r.status(), r.failureReason());
        assertEquals(engine, r.engine());
        assertEquals(ordering, r.ordering());
        assertEquals(Verification.PASSED, r.verified());
        assertEquals(VmState.STOPPED, src.state(), "the source is gone after the move");
        assertEquals(r.rounds(), r.roundRows().size());
        if (!engine.equals("precopy")) {
            assertTrue(r.postcopyTimeMs() >= 0 && r.downtimeMs() <= r.totalTimeMs());
        }
        if (engine.equals("hybrid")) {
            assertEquals(3, r.rounds(), "2 precopy rounds and the postcopy push: " + r.roundRows());
        }
        node.awaitNoIncoming();
        Vm dst = node.incoming(name);
        assertEquals(VmState.RUNNING, dst.state());
        InvariantResult first = invariantOf(dst);
        assertTrue(first.holds(), first.detail());
        Thread.sleep(400);
        InvariantResult later = invariantOf(dst);
        assertTrue(later.holds(), later.detail());
        assertTrue(later.steps() > first.steps(), "the workload goes on at the destination");
        System.out.printf("%s/%s: total %d ms, downtime %d ms, postcopy %d ms, %d rounds, %d pages (%d re-sent, %d zero,"
                        + " %d requested), block %d ms, %.1f MiB%n", engine, ordering, r.totalTimeMs(), r.downtimeMs(),
                r.postcopyTimeMs(), r.rounds(), r.pagesSent(), r.pagesResent(), r.pagesZero(), r.pagesRequested(),
                r.blockTimeMs(), r.bytesNetwork() / (double) MIB);
    }

    @Test
    void pureFaultsAreServedAheadOfTheSlowPush() throws Exception {
        // 32 MiB of touched memory at 100 Mbit/s takes ~2.7 s to push; the guest writes at once.
        for (String mode : List.of("blocking", "cooperative")) {
            Vm src = node.memoryVm("40M", 64 * MIB, "32M", 2, Map.of());
            Thread.sleep(1500);
            MigrationReport r = node.run(MigrationPlan.builder(src.id()).engine("postcopy").verify(true)
                    .option("fault-mode", mode).network(LinkSpec.of(DataRate.parse("100m"))).build());
            assertEquals(MigrationStatus.COMPLETED, r.status(), r.failureReason());
            assertEquals(Verification.PASSED, r.verified());
            assertTrue(r.pagesRequested() > 0, "the guest faulted on pages that had not arrived");
            assertTrue(r.downtimeMs() < 1000, "postcopy resumes at once: " + r.downtimeMs() + " ms");
            assertTrue(r.postcopyTimeMs() > 1000, "pages followed for a while: " + r.postcopyTimeMs());
            // Zero pages count as moved but do not cross: only the others' content is on the wire.
            assertTrue(r.pagesZero() > 4000, "the untouched half of the guest is zero: " + r.pagesZero());
            assertTrue(r.bytesNetwork() < (16384 - r.pagesZero() + 1000) * 4200L,
                    "zero pages do not cross in postcopy: " + r.bytesNetwork() + " bytes, " + r.pagesZero() + " zero pages");
            double ops = r.timeline().stream().mapToDouble(TimelineSample::guestOpsPerSecond).max().orElse(0);
            assertTrue(ops > 0, "the destination reports guest throughput during postcopy");
            node.awaitNoIncoming();
            assertTrue(invariantOf(node.incoming(src.spec().name())).holds());
            System.out.printf("postcopy %s @100m: downtime %d ms, postcopy %d ms, %d requested, block %d ms%n", mode,
                    r.downtimeMs(), r.postcopyTimeMs(), r.pagesRequested(), r.blockTimeMs());
            node.destroyAll();
        }
    }

    @Test
    void losingTheLinkDuringPostcopyFailsNamingThePagesAndKeepsTheSourcePaused() throws Exception {
        Vm src = node.memoryVm("10M", 64 * MIB, "48M", 1, Map.of());
        String name = src.spec().name();
        Thread.sleep(2000);
        // ~48 MiB to push at 50 Mbit/s: cut well inside the push, after the switchover.
        try (CutProxy proxy = new CutProxy(node.receiver.localEndpoint().port(), 8 * MIB, false)) {
            MigrationReport r = node.run(MigrationPlan.builder(src.id()).engine("postcopy")
                    .network(LinkSpec.of(DataRate.parse("50m")))
                    .destination(new Endpoint("127.0.0.1", proxy.port())).build());
            assertTrue(proxy.tripped());
            assertEquals(MigrationStatus.FAILED, r.status());
            assertTrue(r.failureReason().contains("during postcopy") && r.failureReason().contains("never reached"),
                    r.failureReason());
            assertEquals(VmState.PAUSED, src.state(), "the source keeps the last full copy, paused");
            assertTrue(invariantOf(src).holds());
        }
        // The destination notices within its timeout and fails its VM (it cannot continue).
        long deadline = System.currentTimeMillis() + 15_000;
        Vm dst = node.backend.vms().stream().filter(v -> v.spec().name().equals(name) && v != src).findFirst().orElseThrow();
        while (dst.state() != VmState.FAILED && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(VmState.FAILED, dst.state());
        node.awaitNoIncoming();
        assertFalse(Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.isAlive() && t.getName().startsWith("vmlab-postcopy-requests")), "requester thread left");
    }

    @Test
    void cutsAtRandomPointsNeverLoseTheVm() throws Exception {
        java.util.Random random = new java.util.Random(7);
        int cuts = 0;
        for (int i = 0; i < 12; i++) {
            String engine = i % 2 == 0 ? "postcopy" : "hybrid";
            Vm src = node.memoryVm("40M", 32 * MIB, "8M", 1, Map.of());
            String name = src.spec().name();
            Thread.sleep(600); // the working set is written once: ~8 MiB cross
            long budget = i < 3 ? random.nextInt(300) : random.nextInt((int) (6 * MIB));
            try (CutProxy proxy = new CutProxy(node.receiver.localEndpoint().port(), budget, false)) {
                MigrationReport r = node.run(MigrationPlan.builder(src.id()).engine(engine).streams(1 + i % 2)
                        .network(LinkSpec.of(DataRate.parse("200m")))
                        .destination(new Endpoint("127.0.0.1", proxy.port())).build());
                if (r.status() == MigrationStatus.COMPLETED) {
                    assertFalse(proxy.tripped(), "completed although cut at " + budget);
                } else {
                    cuts++;
                    assertEquals(MigrationStatus.FAILED, r.status());
                    if (r.failureReason().contains("during postcopy")) {
                        // After the commit: the source keeps the paused, intact last full copy.
                        assertEquals(VmState.PAUSED, src.state(), r.failureReason());
                    } else {
                        assertEquals(VmState.RUNNING, src.state(), "cut at " + budget + ": " + r.failureReason());
                    }
                    assertTrue(invariantOf(src).holds(), "the source is intact after a cut at " + budget);
                }
            }
            node.awaitNoIncoming();
            for (Vm v : node.backend.vms()) {
                if (v.spec().name().equals(name) && v != src) {
                    long deadline = System.currentTimeMillis() + 15_000;
                    while (v.state() == VmState.MIGRATING && System.currentTimeMillis() < deadline) {
                        Thread.sleep(20);
                    }
                }
            }
            node.destroyAll();
        }
        assertTrue(cuts >= 8, "cuts that failed the migration: " + cuts);
    }

    @Test
    void badOptionsFailBeforeAnythingMoves() throws Exception {
        Vm src = node.memoryVm("1M", 16 * MIB, "4M", 1, Map.of());
        assertRefused(MigrationPlan.builder(src.id()).engine("postcopy").option("fault-mode", "lazy"),
                "option 'fault-mode' of engine 'postcopy': unknown value 'lazy'; allowed: one of blocking, cooperative");
        assertRefused(MigrationPlan.builder(src.id()).engine("hybrid").option("precopy-rounds", "0"),
                "option 'precopy-rounds' of engine 'hybrid': '0' is out of range");
        assertRefused(MigrationPlan.builder(src.id()).engine("postcopy").option("switchover", "threshold"),
                "unknown option 'switchover' of engine 'postcopy'; allowed: fault-mode, fault-prefetch, seed");
        // In range for the option, but over this plan's max-rounds: the engine itself refuses, still before a page moves.
        MigrationReport h = node.run(MigrationPlan.builder(src.id()).engine("hybrid").maxRounds(3)
                .option("precopy-rounds", "4").build());
        assertEquals(MigrationStatus.FAILED, h.status());
        assertTrue(h.failureReason().contains("precopy-rounds") && h.failureReason().contains("max-rounds (3)"),
                h.failureReason());
        assertEquals(0, h.pagesSent());
        assertEquals(VmState.RUNNING, src.state());
        assertTrue(invariantOf(src).holds());
    }

    private void assertRefused(MigrationPlan.Builder plan, String message) {
        int before = node.service.migrations().size();
        VmlabException e = assertThrows(VmlabException.class,
                () -> node.service.start(plan.build(), org.vmlab.api.migration.MigrationListener.NONE));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertEquals(before, node.service.migrations().size(), "nothing started");
    }

    @Test
    void cancelBeforeTheCommitLeavesTheSourceRunning() throws Exception {
        Vm src = node.memoryVm("20M", 64 * MIB, "32M", 1, Map.of());
        Thread.sleep(300);
        var m = node.service.start(MigrationPlan.builder(src.id()).engine("hybrid")
                .network(LinkSpec.of(DataRate.parse("20m"))).build(), org.vmlab.api.migration.MigrationListener.NONE);
        Thread.sleep(500);
        m.cancel();
        MigrationReport r = m.result().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(MigrationStatus.CANCELLED, r.status());
        assertEquals(VmState.RUNNING, src.state());
        assertTrue(invariantOf(src).holds());
    }
}
