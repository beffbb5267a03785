package org.vmlab.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Block storage through bin/vmlab: the NBD server from etc/org.vmlab.storage.cfg on loopback, a
 * VM's disk exported and written by qemu-io, pre-caching to a cache export over an emulated WAN,
 * then an evacuation from the pre-cached copy that verifies bit for bit.
 */
@Timeout(240)
class StorageIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Distribution dist;
    private static Path work;

    @BeforeAll
    static void unpack() throws Exception {
        work = Path.of(System.getProperty("vmlab.work.dir")).resolveSibling("dist-it-storage");
        dist = ShellCalls.unpack("dist-it-storage");
    }

    @AfterAll
    static void stop() throws Exception {
        ShellCalls.close(dist);
    }

    private static JsonNode json(String... args) throws Exception {
        Distribution.Result r = dist.vmlab(args);
        assertEquals(0, r.exit(), String.join(" ", args) + ": " + r.stderr() + r.stdout());
        assertEquals(1, r.stdout().strip().lines().count(), "one JSON line: " + r.stdout());
        return JSON.readTree(r.stdout());
    }

    private static void oneLineError(Distribution.Result r, String mentions) {
        assertTrue(r.exit() != 0, "failed: " + r.stdout());
        List<String> lines = r.stderr().strip().lines().toList();
        assertEquals(1, lines.size(), r.stderr());
        assertTrue(lines.get(0).startsWith("Error: ") && lines.get(0).contains(mentions), lines.get(0));
    }

    private static boolean has(String tool) {
        return Stream.of(System.getenv("PATH").split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    @Test
    void strategiesAreProvidersWithTheirOptions() throws Exception {
        List<String> defaults = new java.util.ArrayList<>();
        List<String> storage = new java.util.ArrayList<>();
        json("policy:list", "--json").forEach(p -> {
            if (p.get("isDefault").asBoolean()) {
                defaults.add(p.get("family").asText() + "/" + p.get("name").asText());
            }
            if (p.get("family").asText().equals("storage")) {
                storage.add(p.get("name").asText());
            }
        });
        // DistributionIT holds the whole list of the families' defaults
        assertTrue(defaults.contains("storage/recency"), defaults.toString());
        assertEquals(List.of("recency", "all", "none"), storage);
        Distribution.Result info = dist.vmlab("policy:info", "storage", "recency");
        assertTrue(info.stdout().contains("quiet") && info.stdout().contains("bitmap"), info.stdout() + info.stderr());
    }

    @Test
    void exportPrecacheEvacuateVerify() throws Exception {
        JsonNode server = json("storage:server", "--json");
        assertEquals("127.0.0.1", server.get("host").asText(), "loopback by default");
        int port = server.get("port").asInt();
        assertTrue(port > 0, server.toString());
        String nbd = "nbd://127.0.0.1:" + port + "/";

        Path vmDisk = work.resolve("v1.img");
        Path backup = work.resolve("backup.img");
        assertEquals(0, dist.vmlab("vm:create", "--memory", "64M", "--vcpus", "1", "--disk", vmDisk.toString(),
                "--disk-size", "16M", "v1").exit());
        json("storage:export", "--vm", "v1", "--json");
        json("storage:export", "--size", "16m", "--cache", "--json", "backup", backup.toString());
        if (has("qemu-io")) { // a real client writes the VM's disk, with FUA
            Distribution.Result w = Distribution.exec(List.of("qemu-io", "-f", "raw", "-c", "write -f -P 0x5a 0 1M",
                    "-c", "write -P 0x33 8M 64k", nbd + "v1"), work, Duration.ofSeconds(60));
            assertEquals(0, w.exit(), w.stdout() + w.stderr());
        }
        JsonNode started = json("storage:precache", "--to", "127.0.0.1:" + port, "--strategy", "all",
                "--export", "backup", "--interval", "100ms", "-o", "link-rtt=20ms", "-o", "link-rate=1g", "--json",
                "start", "v1");
        assertEquals("all", started.get("strategy").asText());
        long total = started.get("stats").get("blocksTotal").asLong();
        assertEquals(4096, total);
        JsonNode st = null;
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            st = json("storage:precache", "--json", "status", "v1");
            if (st.get("stats").get("blocksCached").asLong() == total) {
                break;
            }
            Thread.sleep(300);
        }
        assertEquals(total, st.get("stats").get("blocksCached").asLong(), st.toString());
        assertEquals(0.0, st.get("evacuationSeconds").asDouble(), st.toString());
        json("storage:precache", "--json", "stop", "v1");

        JsonNode report = json("storage:evacuate", "--from", "127.0.0.1:" + port, "--source-export", "v1",
                "--image", backup.toString(), "--export", "v1-here", "--verify", "-o", "link-rtt=10ms", "--json");
        assertEquals("completed", report.get("status").asText(), report.toString());
        assertTrue(report.get("verified").asBoolean(), report.toString());
        assertEquals(total, report.get("blocksLocal").asLong(), "everything was pre-cached: " + report);
        assertEquals(0, report.get("bytesReceived").asLong(), report.toString());
        if (has("nbdinfo")) {
            Distribution.Result map = Distribution.exec(List.of("nbdinfo", "--map=vmlab:cached", nbd + "v1-here"),
                    work, Duration.ofSeconds(30));
            assertEquals(0, map.exit(), map.stderr());
            assertTrue(map.stdout().strip().matches("0\\s+16777216\\s+1.*"), map.stdout());
        }
        if (has("qemu-img")) {
            Distribution.Result cmp = Distribution.exec(List.of("qemu-img", "compare", "-f", "raw", "-F", "raw",
                    nbd + "v1", nbd + "v1-here"), work, Duration.ofSeconds(60));
            assertEquals(0, cmp.exit(), cmp.stdout() + cmp.stderr());
        }
        JsonNode after = json("storage:server", "--json");
        assertTrue(after.get("exports").toString().contains("v1-here"), after.toString());

        oneLineError(dist.vmlab("storage:precache", "--to", "127.0.0.1:" + port, "start", "nope"), "nope");
        oneLineError(dist.vmlab("storage:precache", "--to", "127.0.0.1:" + port, "-s", "sideways", "start",
                "v1"),
                "sideways");
        oneLineError(dist.vmlab("storage:export", "bad/name", backup.toString()), "bad/name");
        Distribution.Result help = dist.vmlab("storage:precache", "--help");
        assertTrue(help.stdout().contains("--to") && help.stdout().contains("--strategy"), help.stdout());
        Distribution.Result opts = dist.vmlab("storage:precache", "--option", "help", "-s", "recency", "status");
        assertTrue(opts.stdout().contains("quiet"), opts.stdout());
    }

    @Test
    void migrationWithStorageMovesMemoryAndDiskInOneCommand() throws Exception {
        Path src = work.resolve("m1.img");
        Path dst = work.resolve("m1-here.img");
        assertEquals(0, dist.vmlab("vm:create", "--memory", "64M", "--vcpus", "1", "--disk", src.toString(),
                "--disk-size", "16M", "--workload", "database", "--param", "table-size=8M", "--param", "rate=500",
                "m1").exit());
        oneLineError(dist.vmlab("migration:start", "--with-storage", "m1"), "--storage-image");
        oneLineError(dist.vmlab("migration:start", "--with-storage", "--storage-image", src.toString(), "m1"),
                "other than the source's");
        JsonNode r = json("migration:start", "--with-storage", "--storage-image", dst.toString(), "--verify",
                "--json", "m1");
        assertEquals("completed", r.get("memory").get("status").asText(), r.toString());
        assertEquals("passed", r.get("memory").get("verified").asText(), r.toString());
        JsonNode disk = r.get("disk");
        assertEquals("completed", disk.get("status").asText(), r.toString());
        assertTrue(disk.get("verified").asBoolean(), r.toString());
        assertEquals(4096, disk.get("blocksTotal").asLong(), r.toString());
        assertEquals(0, disk.get("blocksMissing").asLong(), r.toString());
        assertTrue(disk.get("bytesReceived").asLong() > 0, r.toString());
        JsonNode vms = json("vm:list", "--json");
        assertTrue(vms.toString().contains("m1") && vms.toString().toLowerCase().contains("running"), vms.toString());
        assertTrue(!json("storage:server", "--json").get("exports").toString().contains("migrate-"),
                "the migration's export is closed");
    }
}
