package org.vmlab.emu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.vmlab.api.guest.TaskHandle;
import org.vmlab.api.vm.PauseResult;

class EmuVcpusTest {
    EmuVcpus cpus;

    @AfterEach
    void tearDown() {
        if (cpus != null) {
            cpus.destroy();
        }
    }

    static void await(BooleanSupplier cond, String what) throws InterruptedException {
        long end = System.nanoTime() + 5_000_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(2);
        }
    }

    private static long vcpuThreads(String vm) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("vmlab-emu-" + vm + "-vcpu-") && t.isAlive())
                .count();
    }

    @Test
    void threadsAreNamedDaemonAndJoinedOnDestroy() throws Exception {
        cpus = new EmuVcpus("names", 3, false);
        assertEquals(3, cpus.count());
        assertEquals(3, vcpuThreads("names"));
        Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("vmlab-emu-names-vcpu-"))
                .forEach(t -> assertTrue(t.isDaemon()));
        cpus.destroy();
        assertEquals(0, vcpuThreads("names"));
        assertThrows(IllegalStateException.class, () -> cpus.submit("x", () -> false));
    }

    @Test
    void tasksSpreadRoundRobinAndFinish() throws Exception {
        cpus = new EmuVcpus("rr", 2, false);
        Set<String> threads = ConcurrentHashMap.newKeySet();
        AtomicLong steps = new AtomicLong();
        TaskHandle a = cpus.submit("a", () -> {
            threads.add(Thread.currentThread().getName());
            return steps.incrementAndGet() < 1000;
        });
        TaskHandle b = cpus.submit("b", () -> {
            threads.add(Thread.currentThread().getName());
            return false;
        });
        await(() -> a.isDone() && b.isDone(), "tasks done");
        assertEquals(Set.of("vmlab-emu-rr-vcpu-0", "vmlab-emu-rr-vcpu-1"), threads);
        assertTrue(a.failure().isEmpty());
        assertEquals("a", a.name());
    }

    @Test
    void failingStepEndsOnlyItsTask() throws Exception {
        cpus = new EmuVcpus("fail", 1, false);
        AtomicLong other = new AtomicLong();
        TaskHandle bad = cpus.submit("bad", () -> {
            throw new IllegalStateException("boom");
        });
        TaskHandle good = cpus.submit("good", () -> {
            other.incrementAndGet();
            return true;
        });
        await(bad::isDone, "bad task done");
        assertInstanceOf(IllegalStateException.class, bad.failure().orElseThrow());
        long n = other.get();
        await(() -> other.get() > n + 100, "other task goes on");
        assertFalse(good.isDone());
        good.cancel();
        assertTrue(good.isDone());
    }

    @Test
    void pauseStopsEveryVcpuAndResumeLetsThemGo() throws Exception {
        cpus = new EmuVcpus("pause", 4, false);
        AtomicLong[] counters = new AtomicLong[8];
        for (int i = 0; i < counters.length; i++) {
            AtomicLong c = counters[i] = new AtomicLong();
            cpus.submit("count-" + i, () -> {
                c.incrementAndGet();
                return true;
            });
        }
        await(() -> counters[7].get() > 1000, "counting");
        PauseResult r = cpus.pause();
        assertTrue(r.stopNanos() >= 0);
        assertTrue(cpus.isPaused());
        long[] frozen = new long[counters.length];
        for (int i = 0; i < counters.length; i++) {
            frozen[i] = counters[i].get();
        }
        Thread.sleep(200);
        for (int i = 0; i < counters.length; i++) {
            assertEquals(frozen[i], counters[i].get(), "counter " + i + " moved while paused");
        }
        // pausing again returns at once
        assertTrue(cpus.pause().stopNanos() < 1_000_000_000L);
        cpus.resume();
        await(() -> counters[0].get() > frozen[0] + 100, "counting after resume");
    }

    @Test
    void startsPausedAndRunsSubmittedTasksOnlyAfterResume() throws Exception {
        cpus = new EmuVcpus("held", 2, true);
        AtomicLong c = new AtomicLong();
        cpus.submit("c", () -> c.incrementAndGet() < 10);
        Thread.sleep(100);
        assertEquals(0, c.get());
        cpus.resume();
        await(() -> c.get() == 10, "task runs after resume");
    }

    @Test
    void idleVcpusPark() throws Exception {
        cpus = new EmuVcpus("idle", 2, false);
        Thread.sleep(50);
        long cpu0 = cpuTime("idle");
        Thread.sleep(200);
        long used = cpuTime("idle") - cpu0;
        assertTrue(used < 50_000_000L, "idle vCPUs used " + used + " ns of CPU in 200 ms");
    }

    private static long cpuTime(String vm) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("vmlab-emu-" + vm + "-vcpu-")) {
                sum += mx.getThreadCpuTime(t.getId());
            }
        }
        return sum;
    }

    @Test
    void throttleReducesStepRate() throws Exception {
        cpus = new EmuVcpus("throttle", 1, false);
        AtomicLong steps = new AtomicLong();
        cpus.submit("spin", () -> {
            long t0 = System.nanoTime();
            while (System.nanoTime() - t0 < 20_000) {
                Thread.onSpinWait();
            }
            steps.incrementAndGet();
            return true;
        });
        Thread.sleep(50);
        long free = rate(steps, 300);
        cpus.throttle(0.75);
        Thread.sleep(50);
        long throttled = rate(steps, 300);
        cpus.throttle(0);
        Thread.sleep(50);
        long again = rate(steps, 300);
        assertTrue(throttled < free * 0.5, "throttled " + throttled + " vs free " + free);
        assertTrue(again > throttled * 1.5, "unthrottled " + again + " vs throttled " + throttled);
        assertThrows(IllegalArgumentException.class, () -> cpus.throttle(1.0));
        assertThrows(IllegalArgumentException.class, () -> cpus.throttle(-0.1));
    }

    private static long rate(AtomicLong steps, long millis) throws InterruptedException {
        long s0 = steps.get();
        Thread.sleep(millis);
        return steps.get() - s0;
    }
}
