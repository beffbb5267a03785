package org.vmlab.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * SymVirt through bin/vmlab (issue 15): a 3-rank mpi job of emu VMs sharing an ivshmem
 * pass-through device; snapshot refused while attached; job:migrate with postcopy, job:checkpoint
 * and job:restart, each with its per-phase timeline, every message delivered once.
 */
@Timeout(240)
class HotplugIT {
    private static final int RANKS = 3;
    private static Distribution dist;

    @BeforeAll
    static void unpack() throws Exception {
        dist = ShellCalls.unpack("dist-it-hotplug");
    }

    @AfterAll
    static void stop() throws Exception {
        ShellCalls.close(dist);
    }

    static JsonNode json(String... args) throws Exception {
        return ShellCalls.json(dist, args);
    }

    static void oneLineError(Distribution.Result r, String mentions) {
        ShellCalls.oneLineError(r, mentions);
    }

    private static void assertTimeline(JsonNode report, String... phases) {
        List<String> seen = new ArrayList<>();
        report.get("phases").forEach(p -> seen.add(p.get("phase").asText()));
        for (String p : phases) {
            assertTrue(seen.contains(p), p + " in " + seen);
        }
        report.get("ranks").forEach(r -> assertEquals("0", r.get("lost").asText(), "no message lost: " + r));
    }

    @Test
    void coordinatedMigrationCheckpointAndRestartOfAnMpiJob() throws Exception {
        JsonNode family = json("policy:list", "--family", "hotplug", "--json");
        List<String> providers = new ArrayList<>();
        family.forEach(p -> providers.add(p.get("name").asText() + (p.get("isDefault").asBoolean() ? "*" : "")));
        assertEquals(List.of("job-coordinator*", "emu", "in-jvm-agent", "qemu"), providers);

        int[] ports = new int[RANKS];
        for (int i = 0; i < RANKS; i++) {
            try (ServerSocket s = new ServerSocket(0)) {
                ports[i] = s.getLocalPort();
            }
        }
        Path fabric = dist.home.resolve("data/ib-fabric");
        List<String> vms = new ArrayList<>();
        for (int r = 0; r < RANKS; r++) {
            List<String> peers = new ArrayList<>();
            for (int p = 0; p < RANKS; p++) {
                if (p != r) {
                    peers.add("127.0.0.1:" + ports[p]);
                }
            }
            json("vm:create", "--memory", "64M", "--vcpus", "1", "--workload", "mpi", "--param", "rank=" + r,
                    "--param", "listen=" + ports[r], "--param", "peers=" + String.join(",", peers),
                    "--param", "compute-ms=1", "--param", "message-size=16K", "--param", "memory=8M", "--json", "rank" + r);
            JsonNode a = json("device:attach", "--type", "ivshmem", "--passthrough", "--property", "path=" + fabric,
                    "--property", "attach-ms=50", "--property", "detach-ms=20", "--json", "rank" + r, "ib0");
            assertTrue(a.get("millis").asLong() >= 50, a.toString());
            vms.add("rank" + r);
        }
        JsonNode devices = json("device:list", "--json", "rank1");
        assertEquals("ivshmem", devices.get("devices").get(0).get("type").asText());
        assertTrue(devices.get("devices").get(0).get("attached").asBoolean());

        oneLineError(dist.vmlab("vm:snapshot", "rank0", dist.home.resolve("data/x.snap").toString()), "'ib0'");
        oneLineError(dist.vmlab("job:migrate", "rank0", "nosuchvm"), "nosuchvm");

        List<String> args = new ArrayList<>(List.of("job:migrate", "--engine", "postcopy", "--verify", "--json"));
        args.addAll(vms);
        JsonNode migrated = json(args.toArray(String[]::new));
        assertTimeline(migrated, "quiesce", "detach", "migrate", "attach", "resume");
        assertEquals(RANKS, migrated.get("migrations").size());
        migrated.get("migrations").forEach(m -> assertEquals("completed", m.get("status").asText(), m.toString()));
        List<String> now = new ArrayList<>();
        migrated.get("vms").forEach(v -> now.add(v.asText()));

        Path cp = dist.home.resolve("data/job-cp");
        List<String> cpArgs = new ArrayList<>(List.of("job:checkpoint", "--json", cp.toString()));
        cpArgs.addAll(now);
        JsonNode checkpoint = json(cpArgs.toArray(String[]::new));
        assertTimeline(checkpoint, "quiesce", "detach", "checkpoint", "attach", "resume");
        assertTrue(Files.exists(cp.resolve("job.properties")));

        JsonNode restarted = json("job:restart", "--json", cp.toString());
        assertTimeline(restarted, "restore", "attach", "resume");
        assertEquals(checkpoint.get("barrier").asLong(), restarted.get("barrier").asLong());
        oneLineError(dist.vmlab("job:restart", dist.home.resolve("data/none").toString()), "no job checkpoint");
    }
}
