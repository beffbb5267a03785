package org.vmlab.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** bin/vmlab calls the hotplug ITs share: a command's JSON answer, a command's one-line error. */
final class ShellCalls {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ShellCalls() {
    }

    /** The last stdout line of a command that must succeed, as JSON. */
    static JsonNode json(Distribution dist, String... args) throws Exception {
        Distribution.Result r = dist.vmlab(args);
        assertEquals(0, r.exit(), String.join(" ", args) + ": " + r.stderr());
        return JSON.readTree(r.stdout().strip().lines().reduce((a, b) -> b).orElse(""));
    }

    /** A failed command printed one {@code Error:} line naming {@code mentions}. */
    static void oneLineError(Distribution.Result r, String mentions) {
        assertTrue(r.exit() != 0, "failed: " + r.stdout());
        List<String> lines = r.stderr().strip().lines().toList();
        assertEquals(1, lines.size(), r.stderr());
        assertTrue(lines.get(0).startsWith("Error: ") && lines.get(0).contains(mentions), lines.get(0));
    }
}
