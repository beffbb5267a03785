package org.vmlab.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What ITs with their own instance share: the instance (receiver on a free port), a command's JSON
 * answer, a command's one-line error, and the check that closing left no process behind.
 */
final class ShellCalls {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ShellCalls() {
    }

    /** A distribution in its own folder next to the usual one, its receiver on a free port. */
    static Distribution unpack(String folder) throws Exception {
        Distribution dist = Distribution.unpack(Path.of(System.getProperty("vmlab.dist.archive")),
                Path.of(System.getProperty("vmlab.work.dir")).resolveSibling(folder));
        Files.writeString(dist.home.resolve("etc/org.vmlab.transport.cfg"), "port = 0\n");
        return dist;
    }

    /** Stops the instance and checks that neither Karaf nor a QEMU of it is left. */
    static void close(Distribution dist) throws Exception {
        if (dist != null) {
            dist.close();
            assertTrue(dist.karafProcess().isEmpty(), "the Karaf JVM is gone");
            assertTrue(dist.qemuProcesses().isEmpty(), "no QEMU left: " + dist.qemuProcesses());
        }
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
