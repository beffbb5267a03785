package org.vmlab.shell.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vmlab.api.experiment.PlannedRun;

class ProgressBarTest {
    @Test
    void showsRunsDoneTheCurrentRunAndAnEstimate() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), 120)) {
            bar.started("t-1", 4, 1);
            assertTrue(bar.line().startsWith("[######------------------] 1/4  "), bar.line());
            assertTrue(bar.line().contains("~? left"), "no estimate before a run of this start ends: " + bar.line());
            PlannedRun run = new PlannedRun(1, "mode=b", Map.of("mode", "b"), 1, false);
            bar.runStarted(run);
            bar.runEnded(run, "boom");
            String line = bar.line();
            assertTrue(line.startsWith("[############------------] 2/4 (1 failed)  run 2: mode=b r1  0:00 elapsed, ~0:00 left"), line);
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("Experiment t-1: 4 runs, 1 already done"), out);
        assertTrue(out.contains("run 2 (mode=b r1) failed: boom"), out);
    }

    @Test
    void clocksReadLikeClocks() {
        assertEquals("0:07", ProgressBar.clock(7));
        assertEquals("2:05", ProgressBar.clock(125));
        assertEquals("1:00:01", ProgressBar.clock(3601));
    }

    @Test
    void linesFitTheTerminal() {
        try (ProgressBar bar = new ProgressBar(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), 40)) {
            bar.started("t", 2, 0);
            bar.note("a very long note that would not fit on a narrow terminal at all");
            assertEquals(39, bar.line().length());
        }
    }
}
