package org.vmlab.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A real QEMU guest between two instances sharing a secret, through bin/vmlab only: vmlab's
 * precopy there and QEMU's own migration back, whose stream crosses through vmlab's
 * authenticated tunnel; both verified. What the tunnel cannot carry (multifd, postcopy-ram) is
 * refused in one line with the guest running on. Afterwards no QEMU of either instance is left.
 */
@Timeout(900)
class QemuTwoNodesIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PORT_A = 7351;
    private static final int PORT_B = 7352;
    private static Distribution a;
    private static Distribution b;

    @BeforeAll
    static void unpack() throws Exception {
        Path image = Distribution.assumeQemuGuest();
        Path archive = Path.of(System.getProperty("vmlab.dist.archive"));
        Path work = Path.of(System.getProperty("vmlab.work.dir") + "-qemu-two-nodes");
        a = Distribution.unpack(archive, work.resolve("a"));
        b = Distribution.unpack(archive, work.resolve("b"));
        for (Distribution d : List.of(a, b)) {
            Files.writeString(d.home.resolve("etc/org.vmlab.qemu.cfg"), "imageDir = " + image + "\naccelerator = tcg\n");
        }
        Files.writeString(a.home.resolve("etc/org.vmlab.transport.cfg"), "host = 127.0.0.1\nport = " + PORT_A + "\n");
    }

    @AfterAll
    static void stop() throws Exception {
        for (Distribution d : new Distribution[] {a, b}) {
            if (d != null) {
                d.close();
                assertTrue(d.karafProcess().isEmpty(), "the Karaf JVM of " + d.home + " is gone");
                assertTrue(d.qemuProcesses().isEmpty(), "no QEMU of " + d.home + " is left: " + d.qemuProcesses());
            }
        }
    }

    @Test
    void aQemuGuestGoesThereWithVmlabAndBackWithQemusOwnMigrationThroughTheTunnel() throws Exception {
        assertEquals(0, a.vmlab("vm:list").exit());
        Path secret = a.home.resolve("data/vmlab/transport.secret");
        assertTrue(Files.isRegularFile(secret), "the first instance created its secret");
        Files.writeString(b.home.resolve("etc/org.vmlab.transport.cfg"),
                "host = 127.0.0.1\nport = " + PORT_B + "\nsecretFile = " + secret + "\n");
        assertEquals(0, b.vmlab("vm:list").exit());

        Distribution.Result created = a.vmlab("vm:create", "--backend", "qemu", "--memory", "128M", "--vcpus", "1",
                "--workload", "memory", "--param", "working-set=16M", "--param", "rate=4M", "--param", "check=1", "far");
        assertEquals(0, created.exit(), created.stdout() + created.stderr());

        JsonNode there = migrate(a, "precopy", PORT_B);
        assertEquals("127.0.0.1:" + PORT_B, there.get("destination").asText());
        assertTrue(a.qemuProcesses().isEmpty(), "the guest left the first instance: " + a.qemuProcesses());
        assertRuns(b, "far");

        for (String[] refused : List.of(new String[] {"--streams", "2"}, new String[] {"--option", "postcopy-ram=true"})) {
            Distribution.Result r = b.vmlab(Stream.concat(Stream.of("migration:start", "--engine", "qemu-native", "--to",
                    "127.0.0.1:" + PORT_A), Stream.concat(Stream.of(refused), Stream.of("far"))).toArray(String[]::new));
            assertEquals(1, r.exit(), r.stdout() + r.stderr());
            List<String> errors = r.stderr().lines().filter(l -> !l.isBlank()).toList();
            assertEquals(1, errors.size(), r.stderr());
            assertTrue(errors.get(0).startsWith("Error:") && errors.get(0).contains("another node"), errors.get(0));
        }
        assertRuns(b, "far");

        JsonNode back = migrate(b, "qemu-native", PORT_A, "--option", "xbzrle=true");
        assertEquals("127.0.0.1:" + PORT_A, back.get("destination").asText());
        assertTrue(back.get("bytesNetwork").asLong() > 0 && back.get("rounds").asInt() >= 1, back.toString());
        assertTrue(b.qemuProcesses().isEmpty(), "the guest left the second instance: " + b.qemuProcesses());
        assertRuns(a, "far");
        System.out.printf("qemu two nodes: precopy there %d ms (downtime %d ms), qemu-native back through the tunnel"
                        + " %d ms (downtime %d ms), %.1f MiB%n", there.get("totalTimeMs").asLong(),
                there.get("downtimeMs").asLong(), back.get("totalTimeMs").asLong(), back.get("downtimeMs").asLong(),
                back.get("bytesNetwork").asLong() / 1048576.0);
        assertEquals(0, a.vmlab("vm:destroy", "far").exit());
    }

    private static JsonNode migrate(Distribution from, String engine, int port, String... more) throws Exception {
        Distribution.Result r = from.vmlab(Stream.concat(Stream.of("migration:start", "--engine", engine, "--to",
                "127.0.0.1:" + port, "--rate", "1g", "--verify", "--json"), Stream.concat(Stream.of(more), Stream.of("far")))
                .toArray(String[]::new));
        assertEquals(0, r.exit(), engine + ": " + r.stdout() + r.stderr());
        JsonNode report = JSON.readTree(r.stdout());
        assertEquals("completed", report.get("status").asText().toLowerCase(), report.toString());
        assertEquals("passed", report.get("verified").asText().toLowerCase(), report.toString());
        assertEquals(engine, report.get("engine").asText());
        return report;
    }

    /** The guest runs on that instance: its console advances and vmlab's scan of its RAM holds. */
    private static void assertRuns(Distribution d, String vm) throws Exception {
        JsonNode info = JSON.readTree(d.vmlab("vm:info", "--json", vm).stdout());
        assertEquals("running", info.get("state").asText().toLowerCase(), info.toString());
        long deadline = System.currentTimeMillis() + 20_000;
        while (info.path("throughput").path("bytesPerSecond").asDouble() <= 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(500);
            info = JSON.readTree(d.vmlab("vm:info", "--json", vm).stdout());
        }
        assertTrue(info.path("throughput").path("bytesPerSecond").asDouble() > 0, "the guest's console advances: " + info);
        Distribution.Result verify = d.vmlab("vm:verify", vm);
        assertEquals(0, verify.exit(), verify.stdout() + verify.stderr());
    }
}
