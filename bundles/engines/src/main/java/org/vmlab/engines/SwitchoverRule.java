package org.vmlab.engines;

import java.time.Duration;

/**
 * When precopy stops iterating and switches over: a pure function of what the last round
 * measured, as QEMU's {@code migration_iteration_run} decides from what
 * {@code migration_update_counters} measured.
 *
 * @param kind          the rule
 * @param downtimeLimit the plan's downtime limit
 * @param roundLimit    the most rounds before switching over anyway
 */
record SwitchoverRule(Kind kind, Duration downtimeLimit, int roundLimit) {

    /** The rules. */
    enum Kind {
        /** QEMU's: switch over once the rest fits in link rate x downtime limit. */
        THRESHOLD,
        /**
         * Past QEMU's threshold, one more round pays while what it leaves (dirtied while it sends
         * the rest and syncs) is under 3/4 of what is left now: downtime shrinks geometrically
         * until the sync's own cost bounds it.
         */
        CONVERGE,
        /** Only the round limit ends precopy (hybrid's fixed precopy rounds). */
        ROUNDS
    }

    /** One more round pays while it should leave less than this share of the rest. */
    static final double CONVERGE_RATIO = 0.75;

    /**
     * What a finished round measured.
     *
     * @param nextRound           the number of the round that would come next
     * @param remainingBytes      dirty bytes still to send
     * @param linkBytesPerSecond  what the link carries (its limit, or what the round achieved)
     * @param dirtyBytesPerSecond how fast the guest dirtied memory during the round
     * @param roundCostNanos      what a round costs besides its bytes on the link: the dirty-log
     *                            sync at least, and whatever else the last round spent beyond
     *                            what the link needed for its bytes (a content-comparing log, a
     *                            busy host)
     * @param heldBytes           the part of the remaining bytes the ordering holds back for the
     *                            switchover: one more round does not send it
     */
    record Measure(int nextRound, double remainingBytes, double linkBytesPerSecond, double dirtyBytesPerSecond,
                   long roundCostNanos, double heldBytes) {
        Measure(int nextRound, double remainingBytes, double linkBytesPerSecond, double dirtyBytesPerSecond,
                long roundCostNanos) {
            this(nextRound, remainingBytes, linkBytesPerSecond, dirtyBytesPerSecond, roundCostNanos, 0);
        }

        /** QEMU's threshold: what the link carries within the downtime limit. */
        double threshold(Duration downtimeLimit) {
            return linkBytesPerSecond * downtimeLimit.toNanos() / 1e9;
        }

        /**
         * What one more round should leave dirty: dirtied while it sends the rest (but the held
         * pages) and syncs, and the held pages, which it does not send.
         */
        double leftAfterOneMoreRound() {
            double seconds = (remainingBytes - heldBytes) / linkBytesPerSecond + roundCostNanos / 1e9;
            return dirtyBytesPerSecond * seconds + heldBytes;
        }
    }

    /**
     * The decision after a round.
     *
     * @param switchover whether to switch over now
     * @param why        one line for the log
     */
    record Decision(boolean switchover, String why) {
    }

    /**
     * What a round costs besides its bytes: the longer of its last sync and the time the round
     * took beyond {@code bytes} at {@code linkBytesPerSecond}. Over a limited link a round that
     * sent 16 MB in 0.6 s where the link needed 0.14 s costs 0.46 s more each time.
     */
    static long roundCostNanos(long syncNanos, long roundNanos, long bytes, double linkBytesPerSecond) {
        long onTheLink = linkBytesPerSecond > 0 ? (long) (bytes * 1e9 / linkBytesPerSecond) : roundNanos;
        return Math.max(syncNanos, roundNanos - onTheLink);
    }

    Decision decide(Measure m) {
        if (m.nextRound() >= roundLimit) {
            return new Decision(true, "round " + (m.nextRound() - 1) + " was the last allowed; "
                    + (long) m.remainingBytes() + " bytes remain");
        }
        if (kind == Kind.ROUNDS) {
            return new Decision(false, "rounds continue to " + roundLimit);
        }
        double threshold = m.threshold(downtimeLimit);
        if (m.remainingBytes() > threshold) {
            return new Decision(false, (long) m.remainingBytes() + " bytes remain, over the threshold "
                    + (long) threshold);
        }
        double leftAfter = m.leftAfterOneMoreRound();
        if (kind == Kind.THRESHOLD || m.remainingBytes() == 0 || leftAfter > m.remainingBytes() * CONVERGE_RATIO) {
            return new Decision(true, (long) m.remainingBytes() + " bytes remain, threshold " + (long) threshold
                    + ", one more round would leave about " + (long) leftAfter);
        }
        return new Decision(false, (long) m.remainingBytes() + " bytes remain, under the threshold "
                + (long) threshold + "; one more round should leave about " + (long) leftAfter);
    }
}
