package org.vmlab.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The duty cycle without QEMU: a fake guest records the stop and cont commands it gets. */
class StopContThrottleTest {
    private static final long PERIOD_MS = 20;

    private final Object lock = new Object();
    private final Guest guest = new Guest();
    private final StopContThrottle throttle = new StopContThrottle("t", lock, guest, PERIOD_MS);

    /** Running until someone else pauses it; the cycle's own stops do not count (as in QemuVm). */
    private static final class Guest implements StopContThrottle.Guest {
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());
        volatile boolean paused;

        @Override
        public boolean mayStop() {
            return !paused;
        }

        @Override
        public void stop() {
            calls.add("stop");
        }

        @Override
        public void cont() {
            calls.add("cont");
        }

        List<String> snapshot() {
            synchronized (calls) {
                return List.copyOf(calls);
            }
        }
    }

    @AfterEach
    void tearDown() {
        throttle.close();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(1);
        }
    }

    @Test
    void neitherTheStopNorTheWaitIsEverZero() {
        assertEquals(1, StopContThrottle.stopMillis(0.0001, 100));
        assertEquals(50, StopContThrottle.stopMillis(0.5, 100));
        assertEquals(99, StopContThrottle.stopMillis(0.999, 100));
        assertEquals(1, StopContThrottle.stopMillis(0.99, 2));
        assertThrows(IllegalArgumentException.class, () -> throttle.set(1.0));
        assertThrows(IllegalArgumentException.class, () -> throttle.set(-0.1));
        assertThrows(IllegalArgumentException.class, () -> throttle.set(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new StopContThrottle("t", lock, guest, 1));
    }

    @Test
    void stopsAndContinuesInTurnAndEndsWithTheGuestRunning() throws Exception {
        throttle.set(0.5);
        assertEquals(0.5, throttle.fraction());
        await(() -> guest.calls.size() >= 6, "three cycles");
        throttle.set(0);
        await(() -> !throttle.running(), "the cycle to end");
        List<String> calls = guest.snapshot();
        for (int i = 0; i < calls.size(); i++) {
            assertEquals(i % 2 == 0 ? "stop" : "cont", calls.get(i), calls.toString());
        }
        assertEquals("cont", calls.get(calls.size() - 1), "a stop the cycle made, it continues: " + calls);
        assertFalse(throttle.holding());
    }

    @Test
    void aPauseWinsOverTheCycle() throws Exception {
        throttle.set(0.9);
        int mark = -1;
        while (mark < 0) { // pause while the cycle holds the vCPUs stopped
            await(throttle::holding, "the cycle to hold the vCPUs");
            synchronized (lock) { // as QemuVm.pause(): QMP stop, then yieldStop, under the lock
                if (throttle.holding()) {
                    guest.paused = true;
                    throttle.yieldStop();
                    mark = guest.calls.size();
                }
            }
        }
        int paused = mark;
        Thread.sleep(10 * PERIOD_MS);
        assertEquals(paused, guest.calls.size(), "no cont for a paused guest, and no new stop: " + guest.snapshot());
        assertTrue(throttle.running(), "the cycle waits for the guest to run again");

        guest.paused = false; // resumed: the cycle takes over again
        await(() -> guest.calls.size() > paused + 1, "the cycle to go on");
        throttle.set(0);
        await(() -> !throttle.running(), "the cycle to end");
    }

    @Test
    void closeEndsTheCycleWithoutContinuing() throws Exception {
        throttle.set(0.9);
        await(throttle::holding, "the cycle to hold the vCPUs");
        throttle.close();
        await(() -> !throttle.running(), "the cycle to end");
        List<String> calls = guest.snapshot();
        assertEquals("stop", calls.get(calls.size() - 1), "a VM going away is not continued: " + calls);
        throttle.set(0.5);
        assertFalse(throttle.running(), "a closed throttle starts nothing");
    }
}
