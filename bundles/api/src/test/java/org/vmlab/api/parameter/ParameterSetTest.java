package org.vmlab.api.parameter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ParameterSetTest {
    private final ParameterSet precopy = ParameterSet.options("engine 'precopy'", List.of(
            Parameter.choice("switchover", "converge", "when to stop iterating", "converge", "threshold"),
            Parameter.integer("stages", "8", 1, 1024, "stages per round"),
            Parameter.bool("auto-converge", "true", "throttle vCPUs"),
            Parameter.integer("seed", null, Long.MIN_VALUE, Long.MAX_VALUE, "seed of random orderings"),
            Parameter.size("chunk", "64k", 4096, 1 << 20, "bytes per chunk"),
            Parameter.duration("interval", "1s", "how often"),
            Parameter.byteRate("rate", "0", "bytes per second")));

    private static String refusal(ParameterSet set, Map<String, String> given) {
        return assertThrows(IllegalArgumentException.class, () -> set.validate(given)).getMessage();
    }

    @Test
    void defaultsFillWhatIsNotGivenAndValuesReadByType() {
        ParameterValues v = precopy.validate(Map.of("stages", " 3 ", "switchover", "THRESHOLD", "rate", "50M/s"));
        assertEquals(3, v.intValue("stages"));
        assertEquals("threshold", v.choice("switchover"));
        assertTrue(v.bool("auto-converge"));
        assertFalse(v.has("seed"), "no default, not given");
        assertEquals(65536, v.bytes("chunk"));
        assertEquals(Duration.ofSeconds(1), v.duration("interval"));
        assertEquals(50L << 20, v.bytes("rate"));
        assertEquals("3", v.asMap().get("stages"));
    }

    @Test
    void refusalsNameTheSettingItsOwnerAndWhatItAccepts() {
        assertEquals("unknown option 'stage' of engine 'precopy'; allowed: switchover, stages, auto-converge, seed,"
                + " chunk, interval, rate", refusal(precopy, Map.of("stage", "3")));
        assertEquals("option 'stages' of engine 'precopy': 'x' is not a whole number; allowed: a whole number"
                + " from 1 to 1024", refusal(precopy, Map.of("stages", "x")));
        assertEquals("option 'stages' of engine 'precopy': '0' is out of range; allowed: a whole number from 1"
                + " to 1024", refusal(precopy, Map.of("stages", "0")));
        assertTrue(refusal(precopy, Map.of("switchover", "never")).endsWith("allowed: one of converge, threshold"));
        assertTrue(refusal(precopy, Map.of("auto-converge", "yes")).contains("'auto-converge'"));
        assertTrue(refusal(precopy, Map.of("chunk", "2G")).contains("out of range"));
        assertTrue(refusal(precopy, Map.of("interval", "soon")).contains("500ms"));
        assertEquals("unknown option 'x' of engine 'none'; allowed: none",
                refusal(ParameterSet.options("engine 'none'", List.of()), Map.of("x", "1")));
    }

    @Test
    void requiredParametersMustBeGiven() {
        ParameterSet s = ParameterSet.parameters("workload 'mpi'",
                List.of(Parameter.text("peers", null, "other ranks").asRequired()));
        assertEquals("parameter 'peers' of workload 'mpi': missing; it has no default; allowed: text",
                refusal(s, Map.of()));
        assertEquals("a:1", s.validate(Map.of("peers", "a:1")).text("peers"));
    }

    @Test
    void descriptionsThemselvesAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> Parameter.integer("n", "x", 0, 9, "bad default"));
        assertThrows(IllegalArgumentException.class, () -> Parameter.integer("Bad Name", "1", 0, 9, ""));
        assertThrows(IllegalArgumentException.class, () -> ParameterSet.options("engine 'e'",
                List.of(Parameter.bool("a", "true", ""), Parameter.bool("a", "false", ""))));
        assertThrows(IllegalStateException.class, () -> precopy.validate(Map.of()).integer("seed"));
        assertThrows(IllegalStateException.class, () -> precopy.validate(Map.of()).integer("nothing"));
    }

    @Test
    void plusAddsAnotherProvidersSettingsOnce() {
        ParameterSet both = precopy.plus(List.of(Parameter.decimal("hot-share", "0.2", 0, 1, "share held back"),
                Parameter.integer("stages", "2", 1, 2, "ignored: the engine's wins")));
        assertEquals(8, both.parameters().size());
        assertEquals(0.5, both.validate(Map.of("hot-share", "0.5")).decimal("hot-share"));
        assertEquals("8", both.find("stages").orElseThrow().defaultValue());
    }
}
