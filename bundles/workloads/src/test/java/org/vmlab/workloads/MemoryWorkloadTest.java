package org.vmlab.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vmlab.api.VmlabException;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmState;
import org.vmlab.api.workload.InvariantResult;
import org.vmlab.api.workload.MemoryInvariant;
import org.vmlab.api.workload.ThroughputSample;

class MemoryWorkloadTest extends EmuTestSupport {

    @Test
    void startsSamplesAndStopsCleanly() {
        Vm vm = vm("mem-basic", 128 * MiB, 2);
        MemoryRun run = (MemoryRun) memory.start(vm, Map.of("working-set", "16M", "rate", "20M"));
        assertTrue(run.isRunning());
        assertEquals("memory", run.workload());
        assertEquals("16M", run.parameters().get("working-set"));
        assertEquals("uniform", run.parameters().get("distribution"));
        assertEquals(0, run.latest().opsPerSecond());
        await("two samples", 5000, () -> run.samples().size() >= 2);
        assertSampledWork(run);
        run.stop();
        run.stop(); // idempotent
        assertFalse(run.isRunning());
        assertNoWorkloadThreads();
        long ops = run.totalOps();
        sleep(50);
        assertEquals(ops, run.totalOps(), "no writes after stop");
        InvariantResult r = run.invariant().orElseThrow().check(vm.memory());
        assertTrue(r.holds(), r.detail());
        assertEquals(run.totalOps(), r.steps());
    }

    @Test
    void achievesTargetRateWithinFivePercent() {
        Vm vm = vm("mem-rate", 256 * MiB, 2);
        long target = 50 * MiB; // rate=50M means 50 MiB/s
        MemoryRun run = (MemoryRun) memory.start(vm, Map.of("working-set", "64M", "rate", "50M"));
        sleep(300);
        long b0 = run.totalBytes();
        long t0 = System.nanoTime();
        sleep(3000);
        long b1 = run.totalBytes();
        long t1 = System.nanoTime();
        run.stop();
        double achieved = (b1 - b0) / ((t1 - t0) / 1e9);
        double error = Math.abs(achieved - target) / target;
        System.out.printf("memory rate: target %.1f MiB/s, achieved %.2f MiB/s (%.2f%% off)%n",
                target / (double) MiB, achieved / MiB, error * 100);
        assertTrue(error < 0.05, "achieved " + achieved / MiB + " MiB/s for a target of 50 MiB/s");
        for (ThroughputSample s : run.samples().subList(1, run.samples().size())) {
            assertEquals(target, s.bytesPerSecond(), target * 0.10, "sample " + s);
            assertEquals(s.bytesPerSecond() / Pages.SIZE, s.opsPerSecond(), 1e-6);
        }
        assertNoWorkloadThreads();
    }

    @ParameterizedTest
    @CsvSource({"uniform,page", "zipf,page", "sequential,page", "uniform,words", "sequential,words"})
    void invariantHoldsAtRandomPausePoints(String distribution, String fill) {
        Vm vm = vm("mem-inv", 64 * MiB, 2);
        MemoryRun run = (MemoryRun) memory.start(vm, Map.of("working-set", "8M",
                "distribution", distribution, "fill", fill));
        MemoryInvariant inv = run.invariant().orElseThrow();
        Random random = new Random(7);
        long lastSteps = -1;
        for (int i = 0; i < 20; i++) {
            sleep(5 + random.nextInt(40));
            vm.pause();
            InvariantResult r = inv.check(vm.memory());
            assertTrue(r.holds(), "pause " + i + ": " + r.detail() + " bad " + r.firstBadPages());
            assertTrue(r.steps() >= lastSteps, "steps went back");
            assertTrue(r.pagesChecked() >= 1);
            lastSteps = r.steps();
            vm.resume();
        }
        assertTrue(lastSteps > 2048, "the run initialised its pages and wrote: " + lastSteps);
        assertTrue(run.initialized());
        assertTrue(run.guestWrites() > 0);
        run.stop();
        // the destination-side lookup finds the same state without the run object
        InvariantResult r = MemoryWorkload.invariantIn(vm.memory()).check(vm.memory());
        assertTrue(r.holds(), r.detail());
    }

    @Test
    void moreTasksThanVcpusShareTheVcpusAndKeepTheInvariant() {
        Vm vm = vm("mem-tasks", 64 * MiB, 2);
        MemoryRun run = (MemoryRun) memory.start(vm, Map.of("working-set", "8M", "tasks", "6", "rate", "20M"));
        await("every task initialised its slice", 10_000, run::initialized);
        sleep(200);
        vm.pause();
        InvariantResult r = run.invariant().orElseThrow().check(vm.memory());
        vm.resume();
        assertTrue(r.holds(), r.detail());
        assertEquals("6", run.parameters().get("tasks"));
        assertEquals(6, run.guestState().tasks(), "six writer tasks on two vCPUs");
        run.stop();
    }

    @Test
    void invariantFailsOnACorruptPage() {
        Vm vm = vm("mem-corrupt", 64 * MiB, 2);
        MemoryRun run = (MemoryRun) memory.start(vm, Map.of("working-set", "8M"));
        await("initialised", 5000, run::initialized);
        vm.pause();
        MemoryInvariant inv = run.invariant().orElseThrow();
        assertTrue(inv.check(vm.memory()).holds());
        long victim = run.region().first() + 1000;
        long off = Pages.offset(victim) + 512;
        long saved = vm.memory().getLong(off);
        vm.memory().putLong(off, saved ^ 1); // one bit flipped
        InvariantResult bad = inv.check(vm.memory());
        assertFalse(bad.holds());
        assertEquals(java.util.List.of(victim), bad.firstBadPages());
        assertTrue(bad.detail().contains("page " + victim), bad.detail());
        vm.memory().putLong(off, saved);
        assertTrue(inv.check(vm.memory()).holds());
        run.stop();
    }

    @Test
    void invariantFailsOnALostWrite() {
        Vm vm = vm("mem-lost", 64 * MiB, 1);
        MemoryRun run = (MemoryRun) memory.start(vm, Map.of("working-set", "2M", "rate", "40M"));
        await("initialised", 5000, run::initialized);
        vm.pause();
        GuestMemory mem = vm.memory();
        long first = run.region().first() + 1;
        long pages = run.region().count() - 1;
        ByteBuffer[] before = new ByteBuffer[(int) pages];
        for (int i = 0; i < pages; i++) {
            before[i] = ByteBuffer.allocate(Pages.SIZE);
            mem.readPage(first + i, before[i]);
        }
        vm.resume();
        sleep(200);
        vm.pause();
        // a migration that missed the last dirty copy of one page: the old, self-consistent page
        int changed = -1;
        ByteBuffer now = ByteBuffer.allocate(Pages.SIZE);
        for (int i = 0; i < pages && changed < 0; i++) {
            now.clear();
            mem.readPage(first + i, now);
            if (!now.flip().equals(before[i].duplicate().flip())) {
                changed = i;
            }
        }
        assertTrue(changed >= 0, "some page was written");
        before[changed].flip();
        mem.writePage(first + changed, before[changed]);
        InvariantResult r = run.invariant().orElseThrow().check(mem);
        assertFalse(r.holds());
        assertTrue(r.detail().contains("lost"), r.detail());
        run.stop();
    }

    @Test
    void zipfIsSkewedAndUniformIsNot() {
        double zipfShare = topOnePercentShare("zipf");
        double uniformShare = topOnePercentShare("uniform");
        System.out.printf("share of writes to the top 1%% of pages: zipf %.1f%%, uniform %.1f%%%n",
                zipfShare * 100, uniformShare * 100);
        assertTrue(zipfShare > 0.30, "zipf top 1% share " + zipfShare);
        assertTrue(uniformShare < 0.05, "uniform top 1% share " + uniformShare);
    }

    private double topOnePercentShare(String distribution) {
        Vm vm = vm("mem-" + distribution, 64 * MiB, 2);
        MemoryRun run = (MemoryRun) memory.start(vm, Map.of("working-set", "16M",
                "distribution", distribution, "fill", "words"));
        await("200k writes", 10_000, () -> run.guestWrites() > 200_000);
        vm.pause();
        long first = run.region().first() + 1;
        int pages = (int) run.region().count() - 1;
        long[] c = new long[pages];
        long total = 0;
        for (int i = 0; i < pages; i++) {
            c[i] = vm.memory().getLong(Pages.offset(first + i));
            total += c[i];
        }
        assertTrue(run.invariant().orElseThrow().check(vm.memory()).holds());
        run.stop();
        vm.destroy();
        Arrays.sort(c);
        long top = 0;
        for (int i = pages - pages / 100; i < pages; i++) {
            top += c[i];
        }
        return top / (double) total;
    }

    @Test
    void resumeContinuesFromGuestMemory() {
        Vm vm = vm("mem-resume", 64 * MiB, 2);
        MemoryRun first = (MemoryRun) memory.start(vm, Map.of("working-set", "8M",
                "distribution", "sequential", "rate", "100M"));
        sleep(300);
        first.stop();
        InvariantResult r1 = first.invariant().orElseThrow().check(vm.memory());
        assertTrue(r1.holds(), r1.detail());
        assertTrue(r1.steps() > 0);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> memory.resume(vm, Map.of("working-set", "16M")));
        assertTrue(e.getMessage().contains("working-set"), e.getMessage());

        MemoryRun second = (MemoryRun) memory.resume(vm, Map.of("rate", "0"));
        assertTrue(second.resumed());
        assertEquals(first.headerPfn(), second.headerPfn());
        assertEquals("sequential", second.parameters().get("distribution"));
        assertEquals("0", second.parameters().get("rate"));
        sleep(300);
        vm.pause();
        InvariantResult r2 = second.invariant().orElseThrow().check(vm.memory());
        assertTrue(r2.holds(), r2.detail());
        assertTrue(r2.steps() > r1.steps(), r2.steps() + " after " + r1.steps());
        vm.resume();
        second.stop();
        assertNoWorkloadThreads();
    }

    @Test
    void discardReleasesTheFramesAndTheState() {
        Vm vm = vm("mem-discard", 64 * MiB, 1);
        long free = vm.guestOs().orElseThrow().freePages();
        MemoryRun run = (MemoryRun) memory.start(vm, Map.of("working-set", "8M"));
        assertEquals(free - 2048, vm.guestOs().orElseThrow().freePages());
        run.discard();
        assertEquals(free, vm.guestOs().orElseThrow().freePages());
        assertThrows(VmlabException.class, () -> memory.resume(vm, Map.of()));
        assertNoWorkloadThreads();
    }

    @Test
    void resumeWithoutStateFails() {
        Vm vm = vm("mem-none", 16 * MiB, 1);
        VmlabException e = assertThrows(VmlabException.class, () -> memory.resume(vm, Map.of()));
        assertTrue(e.getMessage().contains("no state of workload 'memory'"), e.getMessage());
    }

    @Test
    void snapshotRestoreResumesTheRunInTheRestoredGuest() {
        Vm vm = vmWithWorkload("mem-snap", 64 * MiB, 2, "memory", Map.of("working-set", "8M", "rate", "80M"));
        MemoryRun run = (MemoryRun) vm.workload().orElseThrow();
        sleep(400);
        Path file = dir.resolve("mem-snap.snap");
        vm.snapshot(file);
        vm.pause();
        InvariantResult atSnapshot = run.invariant().orElseThrow().check(vm.memory());
        vm.destroy();
        assertFalse(run.isRunning());
        Vm restored = backend.restore(file);
        assertEquals(VmState.CREATED, restored.state());
        InvariantResult before = MemoryWorkload.invariantIn(restored.memory()).check(restored.memory());
        assertTrue(before.holds(), before.detail());
        assertTrue(before.steps() > 0 && before.steps() <= atSnapshot.steps(),
                before.steps() + " at restore, " + atSnapshot.steps() + " later on the source");
        restored.resume();
        MemoryRun resumed = (MemoryRun) restored.workload().orElseThrow();
        assertTrue(resumed.resumed());
        sleep(300);
        restored.pause();
        InvariantResult after = resumed.invariant().orElseThrow().check(restored.memory());
        assertTrue(after.holds(), after.detail());
        assertTrue(after.steps() > before.steps());
        assertNotEquals(0, resumed.totalOps());
        restored.destroy();
        assertNoWorkloadThreads();
    }
}
