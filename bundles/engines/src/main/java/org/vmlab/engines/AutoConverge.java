package org.vmlab.engines;

import java.util.OptionalDouble;

/**
 * Auto-converge, as QEMU's {@code cpu-throttle.c}: after two rounds in which the guest dirtied
 * memory at half the link rate or more, throttle its vCPUs, 20% at first and 10 points more each
 * time after, up to 99%. State across rounds, no I/O: the caller applies the throttle.
 */
final class AutoConverge {
    static final double FIRST = 0.20;
    static final double STEP = 0.10;
    static final double MAX = 0.99;
    /** Dirtying at this share of the link rate counts as too fast. */
    static final double DIRTY_SHARE = 0.5;
    /** Too-fast rounds in a row before a step. */
    static final int ROUNDS = 2;

    private final boolean enabled;
    private int fastRounds;
    private double throttle;

    AutoConverge(boolean enabled) {
        this.enabled = enabled;
    }

    /**
     * Takes one round's rates.
     *
     * @return the new throttle (share of vCPU time taken away) when it changes
     */
    OptionalDouble afterRound(double dirtyBytesPerSecond, double linkBytesPerSecond) {
        if (!enabled || dirtyBytesPerSecond < DIRTY_SHARE * linkBytesPerSecond) {
            return OptionalDouble.empty();
        }
        if (++fastRounds < ROUNDS) {
            return OptionalDouble.empty();
        }
        fastRounds = 0;
        throttle = throttle == 0 ? FIRST : Math.min(MAX, throttle + STEP);
        return OptionalDouble.of(throttle);
    }

    /** The throttle now (0 = none). */
    double throttle() {
        return throttle;
    }
}
