package org.vmlab.hotplug;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vmlab.api.VmlabException;
import org.vmlab.api.hotplug.JobMigrationPlan;
import org.vmlab.api.hotplug.JobPhase;
import org.vmlab.api.hotplug.JobReport;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.vm.Vm;
import org.vmlab.workloads.MpiRun;

/** SymVirt end to end on emu: coordinated migration, checkpoint/restart, the fault-tolerance demos. */
class JobCoordinatorTest {
    private static final int RANKS = 3;
    private static final long N = 2500;
    private static final Duration T = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    JobTestNode node;

    @BeforeEach
    void start() throws Exception {
        node = new JobTestNode(dir);
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private List<String> names(String prefix) {
        List<String> out = new ArrayList<>();
        for (int r = 0; r < RANKS; r++) {
            out.add(prefix + r);
        }
        return out;
    }

    private List<String> ids() {
        return node.backend.vms().stream().map(Vm::id).toList();
    }

    /** Waits until every rank of the job finished its N iterations; returns their results by name. */
    private List<String> results(String prefix) {
        List<String> out = new ArrayList<>();
        for (String name : names(prefix)) {
            try {
                await(name + " finished", 30_000, () -> node.rank(name).map(MpiRun::finished).orElse(false));
            } catch (AssertionError e) {
                StringBuilder sb = new StringBuilder(e.getMessage());
                for (String n : names(prefix)) {
                    node.rank(n).ifPresent(r -> sb.append("\n").append(n).append(": ")
                            .append(r.handle(org.vmlab.api.hotplug.AgentRequest.of("status"), T).values()));
                }
                throw new AssertionError(sb.toString(), e);
            }
            MpiRun r = node.rank(name).orElseThrow();
            assertEquals(0, r.lost(), "no message lost on " + name);
            assertEquals(0, r.corrupt(), "no corrupt message on " + name);
            assertEquals((RANKS - 1) * N, r.delivered(), "every message delivered once on " + name);
            out.add(r.result());
        }
        return out;
    }

    /** The results of the same job run without any migration or failure. */
    private List<String> reference() throws Exception {
        node.job("ref", RANKS, true, 32 * JobTestNode.MIB, Map.of("iterations", "" + N));
        List<String> out = results("ref");
        for (String name : names("ref")) {
            node.backend.vms().stream().filter(v -> v.spec().name().equals(name)).forEach(Vm::destroy);
        }
        return out;
    }

    @Test
    void migrationAndSnapshotRefuseWhileAPassthroughDeviceIsAttached() throws Exception {
        List<Vm> vms = node.job("solo", 1, true, 16 * JobTestNode.MIB, Map.of());
        Vm vm = vms.get(0);
        VmlabException snap = assertThrows(VmlabException.class, () -> vm.snapshot(dir.resolve("x.snap")));
        assertTrue(snap.getMessage().contains("'ib0'") && snap.getMessage().contains("ivshmem"), snap.getMessage());
        VmlabException mig = assertThrows(VmlabException.class,
                () -> node.migrations.start(MigrationPlan.builder(vm.id()).build(), MigrationListener.NONE));
        assertTrue(mig.getMessage().contains("pass-through device 'ib0'"), mig.getMessage());
        node.hotplug.detach(vm, "ib0", T);
        assertTrue(vm.devices().isEmpty());
        vm.snapshot(dir.resolve("x.snap"));
        node.hotplug.attach(vm, vm.spec().devices().get(0), T);
        assertEquals(1, vm.devices().size());
        assertThrows(IllegalArgumentException.class, () -> node.hotplug.attach(vm, vm.spec().devices().get(0), T));
    }

    @ParameterizedTest
    @ValueSource(strings = {"precopy", "postcopy", "hybrid"})
    void proactiveMigrationKeepsEveryMessageOnceAndProgressNeverGoesBack(String engine) throws Exception {
        List<String> expected = reference();
        node.job("job", RANKS, true, 32 * JobTestNode.MIB, Map.of("iterations", "" + N));
        await("the job running on its fast path", 20_000, () -> node.iterations("job0") > 200
                && node.rank("job1").map(MpiRun::fastPath).orElse(false));
        Map<String, Long> last = new ConcurrentHashMap<>();
        AtomicBoolean wentBack = new AtomicBoolean();
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                for (String name : names("job")) {
                    long it = node.iterations(name);
                    if (it >= 0 && it < last.getOrDefault(name, 0L)) {
                        wentBack.set(true);
                    }
                    last.merge(name, it, Math::max);
                }
                Thread.onSpinWait();
            }
        });
        sampler.start();
        List<String> before = ids();
        List<JobPhase> seen = new ArrayList<>();
        JobReport report = node.coordinator.migrate(new JobMigrationPlan(names("job"), engine, Map.of(), true, T), seen::add);
        sampling.set(false);
        sampler.join();
        assertFalse(wentBack.get(), "a rank's progress counter went back");
        assertEquals(RANKS, report.migrations().size());
        report.migrations().forEach(m -> assertEquals(MigrationStatus.COMPLETED, m.status(), m.failureReason()));
        report.migrations().forEach(m -> assertEquals(org.vmlab.api.migration.Verification.PASSED, m.verified(), "verified " + m.vmId()));
        assertTrue(report.barrier() > 0, "a barrier was agreed: " + report.barrier());
        for (String phase : List.of("quiesce", "detach", "migrate", "attach", "resume")) {
            assertTrue(report.phases().stream().anyMatch(p -> p.phase().equals(phase) && p.vmId().equals(JobPhase.JOB)), phase);
        }
        assertEquals(report.phases().size(), seen.size(), "progress told of every phase");
        for (String id : report.vms()) {
            assertFalse(before.contains(id), "VM " + id + " is a new (destination) VM");
        }
        await("fast path again after attach", 10_000, () -> node.rank("job2").map(MpiRun::fastPath).orElse(false));
        assertEquals(expected, results("job"), "the job's result equals the run without migration");
    }

    @Test
    void reactiveRestartFromACheckpointEqualsTheFailureFreeRun() throws Exception {
        List<String> expected = reference();
        List<Vm> vms = node.job("job", RANKS, true, 32 * JobTestNode.MIB, Map.of("iterations", "" + N));
        await("progress", 20_000, () -> node.iterations("job0") > 300);
        Path cp = dir.resolve("cp");
        JobReport c = node.coordinator.checkpoint(vms.stream().map(Vm::id).toList(), cp, T, p -> { });
        assertTrue(c.phaseMs("checkpoint") >= 0 && c.phases().stream().anyMatch(p -> p.phase().equals("checkpoint")));
        long barrier = c.barrier();
        await("progress after the checkpoint", 20_000, () -> node.iterations("job0") > barrier + 200);
        vms.get(1).destroy(); // the node of rank 1 fails
        long stuck = node.iterations("job0");
        Thread.sleep(300);
        assertTrue(node.iterations("job0") <= stuck + 1, "the job cannot go on without rank 1");

        JobReport r = node.coordinator.restart(cp, T, p -> { });
        assertEquals(RANKS, r.vms().size());
        assertEquals(barrier, r.barrier());
        assertEquals(RANKS, r.ranks().size());
        r.ranks().values().forEach(v -> assertEquals(Long.toString(barrier), v.get("iteration"), "restarted at the barrier"));
        assertEquals(expected, results("job"), "the job's result after the failure equals the failure-free run");
    }

    @Test
    void anAgentThatDoesNotAnswerGivesOneErrorAndLeavesTheJobRunning() throws Exception {
        List<Vm> vms = node.job("job", RANKS, true, 32 * JobTestNode.MIB, Map.of());
        await("progress", 20_000, () -> node.iterations("job0") > 100);
        vms.get(2).pause(); // its agent runs on its vCPUs: it cannot answer
        VmlabException e = assertThrows(VmlabException.class, () -> node.coordinator.migrate(
                new JobMigrationPlan(names("job"), "precopy", Map.of(), false, Duration.ofMillis(800)), p -> { }));
        assertTrue(e.getMessage().contains("did not answer") && e.getMessage().contains("job goes on as it was"), e.getMessage());
        vms.get(2).resume();
        for (Vm vm : vms) {
            assertEquals(1, vm.devices().size(), "device still attached to " + vm.id());
        }
        long now = node.iterations("job0");
        await("the job goes on", 20_000, () -> node.iterations("job0") > now + 100);
        assertTrue(node.rank("job0").orElseThrow().fastPath(), "still on the fast path");
        assertEquals(0, node.rank("job1").orElseThrow().lost());
    }

    @Test
    void oneRankDetachesItsDeviceAndTheJobGoesOnOverTheFallbackPath() throws Exception {
        List<String> expected = reference();
        node.job("job", RANKS, true, 32 * JobTestNode.MIB, Map.of("iterations", "" + N));
        await("progress", 20_000, () -> node.iterations("job1") > 200);
        var device = node.coordinator.detach("job1", "ib0", T);
        assertFalse(node.rank("job1").orElseThrow().fastPath());
        long at = node.iterations("job1");
        await("progress on the fallback path", 20_000, () -> node.iterations("job1") > at + 100);
        node.coordinator.attach("job1", device, T);
        assertTrue(node.rank("job1").orElseThrow().fastPath());
        assertThrows(IllegalArgumentException.class, () -> node.coordinator.detach("job1", "nope", T));
        assertEquals(expected, results("job"), "the same result with a path switch in the middle");
    }

    static void await(String what, long timeoutMillis, BooleanSupplier condition) {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail("timed out after " + timeoutMillis + " ms waiting for " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
