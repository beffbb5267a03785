package org.vmlab.experiment.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.vmlab.api.experiment.AggregateRow;
import org.vmlab.api.experiment.ClaimCheck;
import org.vmlab.experiment.spec.SpecFile.ClaimDecl;

class SummaryTest {
    @Test
    void medianRangeAndStudentsInterval() {
        Summary s = Summary.of(List.of(3.0, 1.0, 2.0));
        assertEquals(2.0, s.median());
        assertEquals(1.0, s.min());
        assertEquals(3.0, s.max());
        // mean 2, s = 1, t(0.975, 2 df) = 4.3027: half-width 4.3027 / sqrt(3) = 2.4841
        assertEquals(2 - 2.4841, s.ciLow(), 1e-3);
        assertEquals(2 + 2.4841, s.ciHigh(), 1e-3);
        assertEquals(2.5, Summary.of(List.of(1.0, 2.0, 3.0, 4.0)).median());
    }

    @Test
    void noIntervalUnderThreeValues() {
        Summary s = Summary.of(List.of(5.0, 7.0));
        assertFalse(s.hasCi());
        assertEquals(6.0, s.median());
        assertEquals(0, Summary.of(List.of()).n());
    }

    @Test
    void theTableComparesWithTheBaselineAndClaimsAreJudgedOnMedians() {
        var values = java.util.Map.of("a", java.util.Map.of("m", List.of(10.0, 12.0, 11.0)),
                "b", java.util.Map.of("m", List.of(5.0, 6.0, 7.0)));
        List<AggregateRow> t = Aggregator.table(values, List.of("a", "b"), List.of("m"), java.util.Map.of("a", "a", "b", "a"));
        assertEquals(2, t.size());
        assertTrue(Double.isNaN(t.get(0).vsBaseline()));
        assertEquals("", t.get(0).baseline());
        assertEquals("a", t.get(1).baseline());
        assertEquals(6.0 / 11.0, t.get(1).vsBaseline(), 1e-9);
        List<ClaimCheck> c = Aggregator.claims(List.of(new ClaimDecl("m", "b", "lower", "halved", null),
                new ClaimDecl("m", "b", "higher", "x", "a")), t, java.util.Map.of("a", "a", "b", "a"));
        assertEquals("holds", c.get(0).verdict());
        assertEquals("median 6 vs 11 a (-45.5%)", c.get(0).ours());
        assertEquals("does not hold", c.get(1).verdict());
    }
}
