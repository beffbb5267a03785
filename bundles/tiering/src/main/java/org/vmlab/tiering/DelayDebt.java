package org.vmlab.tiering;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The delay a thread owes for emulated tier accesses, paid by a busy-wait. The JVM cannot stall a
 * thread for a few hundred ns (parkNanos overshoots by tens of us), so charges add up per thread
 * and are paid in one spin once they pass a threshold or the thread settles, as Quartz pays its
 * epochs.
 *
 * <p>The spin counts the thread's processor time, not wall time: a thread stalled on slow memory
 * keeps its processor busy, so an emulated stall must consume processor time too. Where other
 * processes share the processors, a plain wall-clock spin would count the time the thread was
 * preempted as paid stall, and the emulated latencies would shrink or grow with the load. A
 * payment reads the thread's CPU clock once, then spins on {@code nanoTime} (cheap); only when two
 * reads of the spin are further apart than {@link #PREEMPTED_NANOS} (the thread was preempted, or
 * interrupt work ran on its time) does it read the CPU clock again and spin on until the processor
 * time owed is spent. Merely extending the spin by the gap over-charged here: part of a gap is
 * interrupt and softirq work the kernel bills to the interrupted thread. Each payment deducts what
 * the previous one overshot and the calibrated cost of a payment; a debt smaller than that cost
 * waits for the next payment, so over many payments the time spent converges to the time owed.
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
     * A gap this long between two clock reads of the spin means the thread was not running: the
     * spin loop itself reads the clock every few tens of ns.
     */
    static final long PREEMPTED_NANOS = 2_000;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final long thresholdNanos;
    private final long paymentNanos;
    private final ThreadLocal<State> state = ThreadLocal.withInitial(State::new);

    /**
     * @param thresholdNanos pay once the debt reaches this
     * @param paymentNanos   what a payment costs beyond its debt (its clock reads, measured by
     *                       calibration), deducted from each payment
     */
    DelayDebt(long thresholdNanos, long paymentNanos) {
        this.thresholdNanos = Math.max(0, thresholdNanos);
        this.paymentNanos = Math.max(0, paymentNanos);
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
        long due = s.debt - s.credit;
        long now;
        if (due > paymentNanos) {
            long owed = due - paymentNanos;
            long cpu0 = cpuNow();
            long start = System.nanoTime();
            now = start;
            long spent = 0;
            boolean interrupted = false;
            while (true) {
                long deadline = now + (owed - spent);
                while (now - deadline < 0) {
                    long before = now;
                    now = System.nanoTime();
                    interrupted |= now - before > PREEMPTED_NANOS;
                }
                if (!interrupted) {
                    spent = now - start; // ran throughout: wall time is processor time
                    break;
                }
                spent = cpuNow() - cpu0;
                now = System.nanoTime();
                if (spent >= owed) {
                    break;
                }
            }
            s.debt = 0;
            s.credit = Math.min(MAX_CREDIT_NANOS, spent - owed);
        } else {
            // Paying would cost more than is owed: the debt waits for the next payment.
            s.debt = Math.max(0, due);
            s.credit = Math.max(0, -due);
            now = System.nanoTime();
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
