package org.vmlab.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vmlab.itests.distribution.NamespacedCluster.json;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three nodes, each in its own network namespace (tools/vmlab-cluster up --netns; root only):
 * the link of the node being evacuated goes down during {@code cluster:apply evacuate}. The apply
 * ends with a report; once the link is back, no VM is lost and none runs twice; the same apply
 * again finishes the evacuation.
 */
@Timeout(420)
class ClusterCutIT {
    private static NamespacedCluster cluster;

    @BeforeAll
    static void up() throws Exception {
        cluster = NamespacedCluster.up("-cut", 3, "--heap", "512m", "--cpus", "8", "--memory", "4G");
    }

    @AfterAll
    static void down() throws Exception {
        if (cluster != null) {
            cluster.down();
        }
    }

    @Test
    void aCutDuringEvacuationLosesNoVmAndRunsNoneTwice() throws Exception {
        int leader = Integer.parseInt(json(vmlab(1, "cluster:nodes", "--json")).get("leadership").get("leader").asText()
                .replace("node-", ""));
        int source = leader % 3 + 1;
        for (int k = 1; k <= 3; k++) {
            Distribution.Result c = vmlab(source, "vm:create", "--memory", "256M", "--vcpus", "1", "--workload", "memory",
                    "--param", "rate=20M", "--param", "working-set=128M", "cut" + k);
            assertEquals(0, c.exit(), c.stderr());
        }
        Thread.sleep(2500);
        CompletableFuture<Distribution.Result> apply = CompletableFuture.supplyAsync(() -> {
            try {
                return vmlab(leader, "cluster:apply", "--concurrency", "1", "--rate", "400m", "evacuate", "node-" + source);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(2500);
        assertEquals(0, run("cut", Integer.toString(source)).exit());
        Distribution.Result report = apply.get();
        String text = report.stdout() + report.stderr();
        System.out.println("ClusterCutIT: the apply during the cut said:\n" + text);
        assertTrue(text.contains("evacuate completed") || text.contains("evacuate stopped") || text.contains("evacuate partial"),
                "a summary line: " + text);
        assertEquals(0, run("heal", Integer.toString(source)).exit());
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (countUp(leader) != 3) {
            assertTrue(System.nanoTime() < deadline, "node-" + source + " merged back within 90 s");
            Thread.sleep(300);
        }
        Thread.sleep(12_000); // a destination drops a partial VM after the receiver's 10 s timeout
        assertEachRunsOnce(3);
        Distribution.Result again = vmlab(leader, "cluster:apply", "evacuate", "node-" + source);
        assertEquals(0, again.exit(), again.stdout() + again.stderr());
        assertEachRunsOnce(3);
        assertEquals(0, json(vmlab(source, "vm:list", "--json")).size(), "node-" + source + " is empty");
    }

    /** Each node's own vm:list: every VM RUNNING on exactly one node, all of them there. */
    private static void assertEachRunsOnce(int expected) throws Exception {
        List<String> running = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            for (JsonNode v : json(vmlab(i, "vm:list", "--json"))) {
                if (v.get("state").asText().equalsIgnoreCase("running")) {
                    running.add(v.get("id").asText());
                }
            }
        }
        assertEquals(expected, running.size(), "running: " + running);
        assertEquals(expected, running.stream().distinct().count(), "none twice: " + running);
    }

    private static int countUp(int node) throws Exception {
        int n = 0;
        for (JsonNode x : json(vmlab(node, "cluster:nodes", "--json")).get("nodes")) {
            n += x.get("state").asText().equals("up") ? 1 : 0;
        }
        return n;
    }

    private static Distribution.Result vmlab(int node, String... args) throws Exception {
        return cluster.vmlab(node, args);
    }

    private static Distribution.Result run(String... args) throws Exception {
        return cluster.tool(args);
    }
}
