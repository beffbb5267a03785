package org.vmlab.engines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.vmlab.engines.SwitchoverRule.Kind;
import org.vmlab.engines.SwitchoverRule.Measure;

class SwitchoverRuleTest {
    private static final double MB = 1e6;
    /** 100 MB/s link, 300 ms limit: QEMU's threshold is 30 MB. */
    private static final double LINK = 100 * MB;

    private static boolean switches(Kind kind, int nextRound, double remaining, double dirtyRate, long syncNanos) {
        return new SwitchoverRule(kind, Duration.ofMillis(300), 30)
                .decide(new Measure(nextRound, remaining, LINK, dirtyRate, syncNanos)).switchover();
    }

    @Test
    void overTheThresholdEveryRuleGoesOn() {
        for (Kind k : Kind.values()) {
            assertFalse(switches(k, 1, 31 * MB, 0, 0), k.name());
        }
    }

    @Test
    void qemusRuleStopsAtTheThreshold() {
        assertTrue(switches(Kind.THRESHOLD, 1, 30 * MB, 50 * MB, 0));
        assertTrue(switches(Kind.THRESHOLD, 1, 1 * MB, 0, 0));
    }

    @Test
    void convergeGoesOnWhileOneMoreRoundShrinksTheRestByAQuarter() {
        // 20 MB left: sending it takes 0.2 s; at 10 MB/s dirtying that leaves 2 MB < 15 MB: go on.
        assertFalse(switches(Kind.CONVERGE, 1, 20 * MB, 10 * MB, 0));
        // At 80 MB/s it would leave 16 MB > 15 MB: stop.
        assertTrue(switches(Kind.CONVERGE, 1, 20 * MB, 80 * MB, 0));
        // A costly sync counts too: 0.2 s to send plus 1.8 s to sync at 10 MB/s leaves 20 MB: stop.
        assertTrue(switches(Kind.CONVERGE, 1, 20 * MB, 10 * MB, 1_800_000_000L));
        // Nothing left: stop.
        assertTrue(switches(Kind.CONVERGE, 1, 0, 0, 0));
    }

    @Test
    void roundsOnlyEndsAtTheLimitAndTheLimitEndsEveryRule() {
        assertFalse(switches(Kind.ROUNDS, 29, 0, 0, 0));
        for (Kind k : Kind.values()) {
            assertTrue(switches(k, 30, 1e12, 1e12, 0), k.name());
        }
    }

    @Test
    void heldBackPagesCountAsLeftAfterOneMoreRound() {
        // 20 MB left of which 14 MB are held back for the switchover: one more round sends 6 MB at
        // 100 MB/s (0.06 s) while 10 MB/s are dirtied, and leaves the 14 MB: 14.6 MB < 15 MB, go on.
        assertFalse(new SwitchoverRule(Kind.CONVERGE, Duration.ofMillis(300), 30)
                .decide(new Measure(1, 20 * MB, LINK, 10 * MB, 0, 14 * MB)).switchover());
        // With 16 MB held it would leave 16.4 MB > 15 MB: switch over now.
        assertTrue(new SwitchoverRule(Kind.CONVERGE, Duration.ofMillis(300), 30)
                .decide(new Measure(1, 20 * MB, LINK, 10 * MB, 0, 16 * MB)).switchover());
    }

    @Test
    void aRoundCostsWhatItTookBeyondItsBytesOnTheLink() {
        // 16 MB in 0.6 s on a 100 MB/s link: 0.16 s of sending, 0.44 s of fixed cost.
        assertEquals(440_000_000L, SwitchoverRule.roundCostNanos(50_000_000L, 600_000_000L, 16_000_000L, LINK));
        // A round as fast as its link costs its sync.
        assertEquals(50_000_000L, SwitchoverRule.roundCostNanos(50_000_000L, 160_000_000L, 16_000_000L, LINK));
        // With 10 MB/s dirtying, 4 MB left and that cost, one more round leaves 4.8 MB > 3 MB: stop.
        assertTrue(switches(Kind.CONVERGE, 3, 4 * MB, 10 * MB,
                SwitchoverRule.roundCostNanos(50_000_000L, 600_000_000L, 16_000_000L, LINK)));
    }

    @Test
    void theDecisionSaysWhy() {
        String why = new SwitchoverRule(Kind.CONVERGE, Duration.ofMillis(300), 30)
                .decide(new Measure(2, 20 * MB, LINK, 10 * MB, 0)).why();
        assertTrue(why.contains("under the threshold 30000000"), why);
    }
}
