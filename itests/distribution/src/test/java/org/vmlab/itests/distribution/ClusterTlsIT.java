package org.vmlab.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vmlab.itests.distribution.NamespacedCluster.json;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three nodes, each in its own network namespace, with all cluster traffic and every migration in
 * TLS 1.3 (tools/vmlab-cluster up --netns --tls; root only): the cluster engines listen on
 * loopback only, behind vmlab's relay, which refuses a peer without TLS and the secret; the
 * cluster forms through the relays and a VM migrates to a node by name, verified.
 */
@Timeout(300)
class ClusterTlsIT {
    private static NamespacedCluster cluster;

    @BeforeAll
    static void up() throws Exception {
        cluster = NamespacedCluster.up("-tls", 3, "--tls", "--heap", "512m");
    }

    @AfterAll
    static void down() throws Exception {
        if (cluster != null) {
            cluster.down();
        }
    }

    @Test
    void theEngineIsOnLoopbackOnlyTheRelayRefusesPlainPeersAndAVmMigratesByName() throws Exception {
        Path dir = cluster.dir();
        String cfg = Files.readString(dir.resolve("node-1/etc/org.vmlab.cluster.cfg"));
        assertTrue(cfg.contains("tls = true"), cfg);
        int port = Integer.parseInt(cfg.replaceAll("(?s).*\nport = (\\d+).*", "$1"));
        String ns = "vmlab-" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(dir.toRealPath().toString().getBytes(StandardCharsets.UTF_8))).substring(0, 4) + "-";
        Distribution.Result ss = Distribution.exec(List.of("ip", "netns", "exec", ns + "1", "ss", "-Htln"), dir,
                Duration.ofSeconds(20));
        assertEquals(0, ss.exit(), ss.stderr());
        List<String> local = ss.stdout().lines().map(l -> l.trim().split("\\s+")[3]).toList();
        assertTrue(local.stream().anyMatch(a -> a.endsWith("127.0.0.1]:" + port) || a.equals("127.0.0.1:" + port)), local.toString());
        assertTrue(local.stream().noneMatch(a -> a.endsWith(":" + port) && !a.contains("127.0.0.1")),
                "the cluster engine is not on the network: " + local);
        assertTrue(local.stream().anyMatch(a -> a.contains("10.231.7.1") && a.endsWith(":" + (port + 100))),
                "its relay is: " + local);

        // A plain TCP peer (no TLS, no secret) at node 1's relay, from node 2's namespace, speaking
        // the engine's protocol (its "HZC" header, then bytes): cut off.
        Distribution.Result plain = Distribution.exec(List.of("ip", "netns", "exec", ns + "2", "bash", "-c",
                "exec 3<>/dev/tcp/10.231.7.1/" + (port + 100) + " && printf 'HZC\\x00\\x00\\x00\\x01' >&3 && timeout 15 cat <&3 | head -c 4096 | wc -c"),
                dir, Duration.ofSeconds(30));
        int answered = Integer.parseInt(plain.stdout().strip());
        assertTrue(answered < 64, "at most a TLS alert for a plain peer, not the engine's protocol: " + answered + " bytes");
        // The relay closes the socket, then logs: allow it a moment.
        Path log = dir.resolve("node-1/data/log/karaf.log");
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!Files.readString(log).contains("cluster TLS relay: connection from") && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(Files.readString(log).contains("cluster TLS relay: connection from"), "the refusal is logged");

        JsonNode nodes = json(vmlab(2, "cluster:nodes", "--json"));
        for (JsonNode n : nodes.get("nodes")) {
            assertEquals("up", n.get("state").asText(), n.toString());
        }
        assertEquals(0, vmlab(1, "vm:create", "--memory", "64M", "--vcpus", "1", "--workload", "memory", "--param",
                "rate=5M", "--param", "working-set=16M", "secure").exit());
        JsonNode report = json(vmlab(1, "migration:start", "--to", "node-3", "--verify", "--json", "secure"));
        assertEquals("completed", report.get("status").asText(), report.toString());
        assertEquals("passed", report.get("verified").asText(), report.toString());
        assertTrue(report.get("destination").asText().startsWith("10.231.7.3:"), report.toString());
    }

    private static Distribution.Result vmlab(int node, String... args) throws Exception {
        return cluster.vmlab(node, args);
    }
}
