package org.vmlab.engines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

import org.junit.jupiter.api.Test;

class AutoConvergeTest {
    private static final double LINK = 100;

    @Test
    void stepsAfterEveryTwoFastRoundsUpTo99Percent() {
        AutoConverge ac = new AutoConverge(true);
        List<Double> steps = new ArrayList<>();
        for (int round = 0; round < 40; round++) {
            OptionalDouble t = ac.afterRound(60, LINK);
            t.ifPresent(steps::add);
        }
        assertEquals(20, steps.size());
        assertEquals(0.20, steps.get(0), 1e-9);
        assertEquals(0.30, steps.get(1), 1e-9);
        assertEquals(0.99, steps.get(steps.size() - 1), 1e-9);
        assertEquals(0.99, ac.throttle(), 1e-9);
    }

    @Test
    void slowRoundsAndADisabledPolicyNeverThrottle() {
        AutoConverge ac = new AutoConverge(true);
        for (int round = 0; round < 10; round++) {
            assertTrue(ac.afterRound(49, LINK).isEmpty());
        }
        AutoConverge off = new AutoConverge(false);
        for (int round = 0; round < 10; round++) {
            assertTrue(off.afterRound(1000, LINK).isEmpty());
        }
        assertEquals(0, off.throttle());
    }
}
