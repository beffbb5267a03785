package org.vmlab.tiering;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The delay a thread owes for emulated tier accesses, paid by a busy-wait. The JVM cannot stall a
 * thread for a few hundred ns (parkNanos overshoots by tens of us), so charges add up per thread
 * and are paid in one spin once they pass a threshold or the thread settles, as Quartz pays its
 * epochs.
 *
 * <p>The spin is measured in the thread's CPU time, not wall time: a thread stalled on slow
 * memory keeps its processor busy, so an emulated stall must consume processor time too. Where
 * other processes share the processors, a wall-clock spin would count the time the thread was
 * preempted as paid stall and the emulated latencies would shrink or grow with the load; a CPU
 * time spin makes the thread take exactly the processor time the model says, and the scheduler
 * stretches it in wall time as it would on real slow memory. The spin runs on {@code nanoTime}
 * (cheap) and checks the CPU clock (a system call, ~0.7 us here) only at its ends, spinning again
 * for whatever preemption took; payments under {@link #CPU_CHECK_NANOS} spin on wall time alone. Each payment deducts what the previous one overshot, so over many
 * payments the time spent converges to the time owed.
 *
 * <p>Bandwidth: a charge also reserves its transfer time on the tier's shared {@link
 * BandwidthClock} (wall time: a channel is busy whoever runs); a payment also waits until this
 * thread's latest reservation has passed, so all threads together move no more bytes per second
 * than the tier allows.
 */
final class DelayDebt {
    /** A credit larger than this is dropped, so a long overshoot never lets later accesses run free. */
    private static final long MAX_CREDIT_NANOS = 50_000;
    /**
     * Payments shorter than this spin on wall time alone: checking the CPU clock would cost more
     * than the stall, and a preemption inside a few us is rare.
     */
    static final long CPU_CHECK_NANOS = 4_000;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final long thresholdNanos;
    private final long paymentNanos;
    private final boolean cpuTime;
    private final ThreadLocal<State> state = ThreadLocal.withInitial(State::new);

    /**
     * @param thresholdNanos pay once the debt reaches this
     * @param paymentNanos   what a payment checked on the CPU clock costs beyond its debt (its
     *                       clock reads, measured by calibration), deducted from each such payment
     */
    DelayDebt(long thresholdNanos, long paymentNanos) {
        this.thresholdNanos = Math.max(0, thresholdNanos);
        this.paymentNanos = Math.max(0, paymentNanos);
        this.cpuTime = THREADS.isCurrentThreadCpuTimeSupported();
    }

    /** The calling thread's CPU time in ns (wall time where the JVM cannot tell). */
    static long cpuNow() {
        long t = THREADS.getCurrentThreadCpuTime();
        return t >= 0 ? t : System.nanoTime();
    }

    /** Per-thread; only its own thread touches it. */
    static final class State {
        long debt;
        long credit;
        /** When this thread last read the clock: a lower bound of "now" for bandwidth reservations. */
        long lastNow = System.nanoTime();
        /** The end of this thread's latest bandwidth reservation. */
        long reservedUntil;
    }

    /** Adds {@code nanos} of stall, reserving {@code transferNanos} on {@code clock} if given. */
    void charge(long nanos, BandwidthClock clock, long transferNanos) {
        State s = state.get();
        s.debt += nanos;
        if (clock != null && transferNanos > 0) {
            long end = clock.reserve(s.lastNow, transferNanos);
            if (end - s.reservedUntil > 0) {
                s.reservedUntil = end;
            }
        }
        if (s.debt >= thresholdNanos || (s.reservedUntil != 0 && s.reservedUntil - s.lastNow >= thresholdNanos)) {
            pay(s);
        }
    }

    /** Pays the calling thread's debt now. */
    void settle() {
        State s = state.get();
        if (s.debt > 0 || (s.reservedUntil != 0 && s.reservedUntil - s.lastNow > 0)) {
            pay(s);
        }
    }

    private void pay(State s) {
        long owed = s.debt - s.credit;
        s.debt = 0;
        long now = System.nanoTime();
        if (owed > 0) {
            boolean onCpu = cpuTime && owed >= CPU_CHECK_NANOS;
            // Part of the two CPU clock reads falls outside what they measure; that is stall too.
            owed -= onCpu ? paymentNanos : 0;
            long cpu0 = onCpu ? cpuNow() : now;
            long spent = 0;
            while (spent < owed) {
                long deadline = now + (owed - spent);
                while (now - deadline < 0) {
                    now = System.nanoTime();
                }
                spent = (onCpu ? cpuNow() : now) - cpu0;
            }
            s.credit = Math.min(MAX_CREDIT_NANOS, spent - owed);
        } else {
            s.credit = Math.min(MAX_CREDIT_NANOS, -owed);
        }
        if (s.reservedUntil != 0 && s.reservedUntil - now > 0) {
            long until = s.reservedUntil;
            while (now - until < 0) {
                now = System.nanoTime();
            }
        }
        s.lastNow = now;
    }
}
