package org.vmlab.experiment.plot;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.junit.jupiter.api.Test;

class ChartsTest {
    @Test
    void latencyLikeValuesSpanDecadesAndThroughputDoesNot() {
        assertTrue(Charts.spansDecades(Map.of("a", new double[] {20, 35}, "b", new double[] {4100}), 2));
        assertFalse(Charts.spansDecades(Map.of("a", new double[] {900, 1100, 20_000}), 2), "22x is not two decades");
        assertFalse(Charts.spansDecades(Map.of("a", new double[] {0, 1000}), 2), "zero has no logarithm");
    }

    @Test
    void aCdfOnALogAxisNeedsPositiveValues() {
        Map<String, double[]> latency = Map.of("memcached", new double[] {25, 30, 41, 2000});
        assertInstanceOf(LogAxis.class, Charts.cdf("t", "us", latency, true).getXYPlot().getDomainAxis());
        assertInstanceOf(NumberAxis.class, Charts.cdf("t", "us", latency, false).getXYPlot().getDomainAxis());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Charts.cdf("t", "ops", Map.of("idle", new double[] {0, 5}), true));
        assertTrue(e.getMessage().contains("series 'idle' has 0.0"), e.getMessage());
    }
}
