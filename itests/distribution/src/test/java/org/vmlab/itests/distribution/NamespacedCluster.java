package org.vmlab.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Three or more distributions as one cluster, each in its own network namespace, driven through
 * tools/vmlab-cluster (root and iproute2 only: a test without them is skipped).
 */
final class NamespacedCluster {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration STEP = Duration.ofSeconds(240);

    private final Path tool;
    private final Path dir;
    private final int nodes;

    private NamespacedCluster(Path tool, Path dir, int nodes) {
        this.tool = tool;
        this.dir = dir;
        this.nodes = nodes;
    }

    /** {@code tools/vmlab-cluster up N --netns OPTIONS} in the work folder plus {@code suffix}. */
    static NamespacedCluster up(String suffix, int nodes, String... options) throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        assumeTrue(root && (Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"))),
                "needs root and iproute2 (network namespaces)");
        NamespacedCluster c = new NamespacedCluster(
                Path.of(System.getProperty("vmlab.readme")).getParent().resolve("tools/vmlab-cluster"),
                Path.of(System.getProperty("vmlab.work.dir") + suffix), nodes);
        Distribution.deleteTree(c.dir);
        List<String> args = new ArrayList<>(List.of("up", Integer.toString(nodes), "--netns",
                "--archive", System.getProperty("vmlab.dist.archive")));
        args.addAll(List.of(options));
        Distribution.Result r = c.tool(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.stdout() + r.stderr());
        return c;
    }

    /** Stops every node by pid and removes the namespaces; checks that all are gone. */
    void down() throws Exception {
        if (Files.isDirectory(dir)) {
            Distribution.Result r = tool("down");
            assertEquals(0, r.exit(), r.stdout() + r.stderr());
            assertTrue(r.stdout().contains("namespaces and links removed"), r.stdout());
            String status = tool("status").stdout();
            assertEquals(nodes, status.split("pid=-", -1).length - 1, "every node stopped: " + status);
        }
    }

    Path dir() {
        return dir;
    }

    /** {@code bin/vmlab ARGS} on node {@code node}. */
    Distribution.Result vmlab(int node, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(dir.resolve("node-" + node).resolve("bin/vmlab").toString()));
        cmd.addAll(List.of(args));
        return Distribution.exec(cmd, dir, STEP);
    }

    /** {@code tools/vmlab-cluster COMMAND --dir DIR ARGS}. */
    Distribution.Result tool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(tool.toString(), args[0], "--dir", dir.toString()));
        cmd.addAll(List.of(args).subList(1, args.length));
        return Distribution.exec(cmd, dir.getParent(), STEP);
    }

    /** The JSON a successful command printed. */
    static JsonNode json(Distribution.Result r) throws Exception {
        assertEquals(0, r.exit(), r.stdout() + r.stderr());
        return JSON.readTree(r.stdout());
    }
}
