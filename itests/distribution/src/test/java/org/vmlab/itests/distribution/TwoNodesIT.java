package org.vmlab.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two distributions on one machine, each with its own receiver port, sharing one secret: a VM
 * migrates from the first to the second with precopy and back with postcopy, both verified, over
 * real TCP on loopback.
 */
@Timeout(600)
class TwoNodesIT {
    private static final int PORT_A = 7311;
    private static final int PORT_B = 7312;
    private static Distribution a;
    private static Distribution b;

    @BeforeAll
    static void unpack() throws Exception {
        Path archive = Path.of(System.getProperty("vmlab.dist.archive"));
        Path work = Path.of(System.getProperty("vmlab.work.dir") + "-two-nodes");
        a = Distribution.unpack(archive, work.resolve("a"));
        b = Distribution.unpack(archive, work.resolve("b"));
        Files.writeString(a.home.resolve("etc/org.vmlab.transport.cfg"), "host = 127.0.0.1\nport = " + PORT_A + "\n");
    }

    @AfterAll
    static void stop() throws Exception {
        for (Distribution d : new Distribution[]{a, b}) {
            if (d != null) {
                d.close();
                assertTrue(d.karafProcess().isEmpty(), "the Karaf JVM of " + d.home + " is gone");
            }
        }
    }

    @Test
    void aVmMovesToTheOtherInstanceAndBack() throws Exception {
        Distribution.Result up = a.vmlab("policy:list", "--family", "engine");
        assertEquals(0, up.exit(), up.stderr());
        assertTrue(up.stdout().contains("postcopy") && up.stdout().contains("hybrid"), up.stdout());
        Path secret = a.home.resolve("data/vmlab/transport.secret");
        assertTrue(Files.isRegularFile(secret), "the first instance created its secret");
        Files.writeString(b.home.resolve("etc/org.vmlab.transport.cfg"),
                "host = 127.0.0.1\nport = " + PORT_B + "\nsecretFile = " + secret + "\n");
        assertEquals(0, b.vmlab("vm:list").exit());

        Distribution.Result created = a.vmlab("vm:create", "--memory", "128M", "--vcpus", "2", "--workload", "memory",
                "--param", "rate=10M", "--param", "working-set=32M", "mover");
        assertEquals(0, created.exit(), created.stderr());
        Thread.sleep(1500);

        Distribution.Result there = a.vmlab("migration:start", "--to", "127.0.0.1:" + PORT_B, "--engine", "precopy",
                "--ordering", "update-history", "--rate", "1g", "--verify", "--json", "mover");
        assertEquals(0, there.exit(), there.stdout() + there.stderr());
        assertTrue(there.stdout().contains("\"status\":\"completed\"") && there.stdout().contains("\"verified\":\"passed\""),
                there.stdout());
        assertTrue(there.stdout().contains("\"destination\":\"127.0.0.1:" + PORT_B + "\""), there.stdout());
        assertTrue(!a.vmlab("vm:list").stdout().contains("mover"), "the VM left the first instance");
        String onB = vmId(b.vmlab("vm:list", "--json").stdout());
        assertEquals("mover", onB, "on another node the VM keeps its name");

        Distribution.Result back = b.vmlab("migration:start", "--to", "127.0.0.1:" + PORT_A, "--engine", "postcopy",
                "--option", "fault-mode=cooperative", "--verify", "--json", "mover");
        assertEquals(0, back.exit(), back.stdout() + back.stderr());
        assertTrue(back.stdout().contains("\"status\":\"completed\"") && back.stdout().contains("\"verified\":\"passed\""),
                back.stdout());
        Distribution.Result verify = a.vmlab("vm:verify", "mover");
        assertEquals(0, verify.exit(), verify.stdout() + verify.stderr());
        assertEquals(0, a.vmlab("vm:destroy", "mover").exit());
    }

    @Test
    void aWrongSecretIsRefusedAndTheSourceKeepsRunning() throws Exception {
        // A third node with its own (different) secret: the first instance refuses it.
        Path archive = Path.of(System.getProperty("vmlab.dist.archive"));
        try (Distribution c = Distribution.unpack(archive, Path.of(System.getProperty("vmlab.work.dir") + "-two-nodes/c"))) {
            Files.writeString(c.home.resolve("etc/org.vmlab.transport.cfg"), "host = 127.0.0.1\nport = 7313\n");
            assertEquals(0, a.vmlab("vm:list").exit());
            assertEquals(0, c.vmlab("vm:create", "--memory", "32M", "--workload", "memory", "--param", "rate=1M",
                    "--param", "working-set=4M", "stranger").exit());
            Distribution.Result r = c.vmlab("migration:start", "--to", "127.0.0.1:" + PORT_A, "--json", "stranger");
            assertEquals(1, r.exit(), r.stdout() + r.stderr());
            assertTrue(r.stdout().contains("\"status\":\"failed\""), r.stdout());
            Distribution.Result info = c.vmlab("vm:info", "stranger");
            assertTrue(info.stdout().contains("RUNNING") || info.stdout().contains("running"), info.stdout());
        }
    }

    private static String vmId(String json) {
        Matcher m = Pattern.compile("\"id\":\"([^\"]+)\"").matcher(json);
        return m.find() ? m.group(1) : "";
    }
}
