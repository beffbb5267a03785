package org.vmlab.qemu;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Slows a guest by a duty cycle of stop and continue (QMP {@code stop}/{@code cont}): of every
 * period the vCPUs are stopped for a fraction of it. QEMU throttles only inside its own
 * migration; this is coarser than its in-thread sleeps but has the same effect on the dirty rate.
 *
 * <p>The cycle's commands run under the VM's lock, so they interleave with its lifecycle methods
 * and never with each other. A pause or a device-state save wins over the cycle: the VM calls
 * {@link #yieldStop()} when it stops or continues the vCPUs itself, and the cycle then owes them
 * no {@code cont}, so it never resumes a guest someone else stopped. Fraction 0 ends the cycle
 * with the guest running; a daemon thread runs it only while the fraction is above 0.
 */
final class StopContThrottle {
    private static final Logger LOG = LoggerFactory.getLogger(StopContThrottle.class);

    /** What the cycle drives. Called with the lock held. */
    interface Guest {
        /** Whether the cycle may stop the vCPUs now: they run and the VM is alive. */
        boolean mayStop();

        void stop();

        void cont();
    }

    private final String vmId;
    private final Object lock;
    private final Guest guest;
    private final long periodMs;

    private volatile double fraction;
    /** The cycle stopped the vCPUs and owes them a cont; written under the lock. */
    private volatile boolean holding;
    private boolean closed;
    private Thread thread;

    /**
     * @param lock     the VM's lifecycle lock
     * @param periodMs the length of one stop/continue cycle, at least 2 ms
     */
    StopContThrottle(String vmId, Object lock, Guest guest, long periodMs) {
        if (periodMs < 2) {
            throw new IllegalArgumentException("throttle period must be at least 2 ms: " + periodMs);
        }
        this.vmId = vmId;
        this.lock = lock;
        this.guest = guest;
        this.periodMs = periodMs;
    }

    /**
     * How long the vCPUs stay stopped in each period: 1 to period - 1 ms, so neither the stop nor
     * the wait between stops is ever 0 (a zero {@code wait} would be forever).
     */
    static long stopMillis(double fraction, long periodMs) {
        return Math.min(periodMs - 1, Math.max(1, Math.round(fraction * periodMs)));
    }

    /** Sets the fraction of each period the vCPUs are stopped, in [0, 1); 0 ends the cycle. */
    void set(double f) {
        if (!(f >= 0 && f < 1)) {
            throw new IllegalArgumentException("throttle fraction must be in [0, 1): " + f);
        }
        synchronized (lock) {
            if (closed) {
                return;
            }
            fraction = f;
            if (f > 0 && thread == null) {
                thread = new Thread(this::cycle, "vmlab-qemu-throttle-" + vmId);
                thread.setDaemon(true);
                thread.start();
            }
            lock.notifyAll();
        }
    }

    double fraction() {
        return fraction;
    }

    /** Whether the vCPUs are stopped by the cycle now (a STOP event then is its own). */
    boolean holding() {
        return holding;
    }

    /** The vCPUs were stopped or continued for someone else: the cycle owes them no cont. Under the lock. */
    void yieldStop() {
        holding = false;
    }

    /** Whether the cycle's thread runs (for tests). */
    boolean running() {
        synchronized (lock) {
            return thread != null;
        }
    }

    /** Ends the cycle for good, without continuing the vCPUs (the VM goes away). */
    void close() {
        synchronized (lock) {
            closed = true;
            fraction = 0;
            lock.notifyAll();
        }
    }

    private void cycle() {
        try {
            while (true) {
                long stopMs;
                synchronized (lock) {
                    if (fraction <= 0 || closed) {
                        thread = null; // in this block: a set() from now on starts a new thread
                        return;
                    }
                    stopMs = stopMillis(fraction, periodMs);
                    lock.wait(periodMs - stopMs);
                    if (fraction <= 0 || closed || !guest.mayStop()) {
                        continue;
                    }
                    holding = true; // set first: the STOP event this causes is ours
                    guest.stop();
                }
                Thread.sleep(stopMs);
                synchronized (lock) {
                    if (holding && !closed) {
                        holding = false;
                        guest.cont();
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("throttling VM '{}' stopped: {}", vmId, e.toString());
        } finally {
            synchronized (lock) {
                if (thread == Thread.currentThread()) {
                    thread = null;
                }
                holding = false;
            }
        }
    }
}
