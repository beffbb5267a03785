package org.vmlab.tiering;

import java.util.SplittableRandom;

import org.vmlab.api.tiering.MemoryTier;
import org.vmlab.api.tiering.TierRegion;

/**
 * The microbenchmarks of calibration and accuracy runs: one random cycle through every 64 B line
 * of a buffer much larger than the caches, each line holding the offset of the next, so every hop
 * is a dependent access that misses (lmbench's pointer chasing). The write-back variant also
 * stores into every line it reads, so each hop later costs a write-back.
 */
final class PointerChase {
    static final int LINE = 64;

    private final TierRegion buffer;
    private final long lines;

    /** Lays a random cycle (Sattolo's algorithm) through every line of {@code buffer}. */
    PointerChase(TierRegion buffer, long seed) {
        this.buffer = buffer;
        this.lines = buffer.sizeBytes() / LINE;
        if (lines < 2 || lines > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a pointer chase needs 2 to 2^31 lines: " + lines);
        }
        int n = (int) lines;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int i = 0; i < n; i++) {
            buffer.putLong((long) order[i] * LINE, (long) order[(i + 1) % n] * LINE);
        }
    }

    /**
     * Follows {@code hops} pointers, charging {@code tier} one read of 8 bytes per hop (or, with
     * {@code writeBack}, storing into each line and charging one write-back); returns ns per hop.
     * Timed in the thread's CPU time (see {@link DelayDebt}), so other processes on the host do not
     * count; the calling thread's debt is settled before the clock stops.
     */
    double run(MemoryTier tier, long hops, boolean writeBack) {
        long p = 0;
        tier.settle();
        long t0 = DelayDebt.cpuNow();
        if (writeBack) {
            for (long i = 0; i < hops; i++) {
                long next = buffer.getLong(p);
                buffer.putLong(p + 8, i);
                tier.chargeWrite(LINE);
                p = next;
            }
        } else {
            for (long i = 0; i < hops; i++) {
                p = buffer.getLong(p);
                tier.chargeRead(8);
            }
        }
        tier.settle();
        long t1 = DelayDebt.cpuNow();
        sink = p;
        return (double) (t1 - t0) / hops;
    }

    /** Keeps the chase's result alive so the JIT cannot drop the loop. */
    @SuppressWarnings("unused")
    private volatile long sink;
}
