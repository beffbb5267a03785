package org.vmlab.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Live migration as a script sees it: {@code bin/vmlab migration:start ... --json} on a fresh
 * distribution, to the instance's own receiver over real loopback TCP, the report's fields, the
 * per-round CSV and a bad engine name.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(300)
class MigrationIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> REPORT_FIELDS = List.of("id", "status", "engine", "ordering", "totalTimeMs",
            "setupTimeMs", "downtimeMs", "bytesNetwork", "bytesSan", "rounds", "pagesSent", "pagesResent",
            "pagesZero", "verified", "roundRows", "timeline");
    private static final List<String> ROUND_FIELDS = List.of("round", "pagesSent", "pagesResent", "pagesZero",
            "bytes", "durationMs", "dirtyPagesAtEnd");
    private static final String VM = "mig-vm";

    private static Distribution dist;
    private static JsonNode report;

    @BeforeAll
    static void unpack() throws Exception {
        Path work = Path.of(System.getProperty("vmlab.work.dir")).resolveSibling("dist-it-migration");
        dist = Distribution.unpack(Path.of(System.getProperty("vmlab.dist.archive")), work);
        // The receiver on any free loopback port: the default 7301 may belong to another instance.
        Files.writeString(dist.home.resolve("etc/org.vmlab.transport.cfg"), "port = 0\n");
    }

    @AfterAll
    static void stop() throws Exception {
        if (dist != null) {
            dist.close();
            assertTrue(dist.karafProcess().isEmpty(), "the Karaf JVM is gone");
        }
    }

    @Test
    @Order(1)
    void migrationStartPrintsTheFullReportAsJson() throws Exception {
        Distribution.Result created = dist.vmlab("vm:create", "--memory", "128M", "--vcpus", "2", "--workload", "memory",
                "--param", "rate=16M", "--param", "working-set=32M", "--param", "distribution=zipf", VM);
        assertEquals(0, created.exit(), created.stderr());
        Thread.sleep(2500); // past the workload's initialisation of its working set

        Distribution.Result r = dist.vmlab("migration:start", "--rate", "500m", "--verify", "--json", VM);
        assertEquals(0, r.exit(), r.stderr());
        assertEquals(1, r.stdout().strip().lines().count(), "one JSON object on one line: " + r.stdout());
        report = JSON.readTree(r.stdout());
        for (String f : REPORT_FIELDS) {
            assertTrue(report.has(f), "report has " + f + ": " + report);
        }
        assertEquals("completed", report.get("status").asText());
        assertEquals("precopy", report.get("engine").asText(), "the default engine");
        assertEquals("sequential", report.get("ordering").asText(), "the default ordering");
        assertEquals("passed", report.get("verified").asText());
        assertTrue(report.get("id").asText().length() > 0);

        long pages = 128L << 20 >> 12;
        int rounds = report.get("rounds").asInt();
        assertTrue(rounds >= 2, "a round 0 and a switchover round: " + rounds);
        assertTrue(report.get("pagesSent").asLong() >= pages, "every page crossed at least once");
        assertTrue(report.get("pagesZero").asLong() > 0 && report.get("pagesZero").asLong() < pages, report.toString());
        assertTrue(report.get("bytesNetwork").asLong() > (32L << 20), "the working set crossed the network");
        assertEquals(0, report.get("bytesSan").asLong());
        assertTrue(report.get("totalTimeMs").asLong() >= report.get("setupTimeMs").asLong());
        assertTrue(report.get("downtimeMs").asLong() > 0 && report.get("downtimeMs").asLong() <= report.get("totalTimeMs").asLong());
        // The 500 Mbit/s limit holds: no faster than the bytes at that rate, less the limiter's
        // initial burst (100 ms of traffic).
        double floorMs = report.get("bytesNetwork").asLong() * 8 / 500e6 * 1000 - 100;
        assertTrue(report.get("totalTimeMs").asLong() >= floorMs, "at least " + floorMs + " ms: " + report);

        JsonNode rows = report.get("roundRows");
        assertEquals(rounds, rows.size());
        long sent = 0;
        long resent = 0;
        for (int i = 0; i < rows.size(); i++) {
            JsonNode row = rows.get(i);
            for (String f : ROUND_FIELDS) {
                assertTrue(row.has(f), "round row has " + f + ": " + row);
            }
            assertEquals(i, row.get("round").asInt());
            sent += row.get("pagesSent").asLong();
            resent += row.get("pagesResent").asLong();
        }
        assertEquals(pages, rows.get(0).get("pagesSent").asLong(), "round 0 sends every page");
        assertEquals(0, rows.get(0).get("pagesResent").asLong());
        assertEquals(report.get("pagesSent").asLong(), sent, "rounds add up to the total");
        assertEquals(report.get("pagesResent").asLong(), resent);

        JsonNode timeline = report.get("timeline");
        assertTrue(timeline.isArray() && timeline.size() >= 1, "a timeline: " + timeline);
        JsonNode last = timeline.get(timeline.size() - 1);
        for (String f : List.of("seconds", "bytesNetwork", "bytesSan", "dirtyPagesPerSecond", "guestOpsPerSecond", "guestBytesPerSecond")) {
            assertTrue(last.has(f), "timeline sample has " + f + ": " + last);
        }

        // The VM moved: the destination runs under <vm>-incoming, the source is gone.
        JsonNode vms = JSON.readTree(dist.vmlab("vm:list", "--json").stdout());
        List<String> ids = new ArrayList<>();
        vms.forEach(v -> ids.add(v.get("id").asText() + ":" + v.get("state").asText()));
        assertEquals(List.of(VM + "-incoming:running"), ids);
    }

    @Test
    @Order(2)
    void statusPrintsTheRoundsAsCsvAndTheReportAsJson() throws Exception {
        String id = report.get("id").asText();
        Distribution.Result csv = dist.vmlab("migration:status", "--csv", "rounds", id);
        assertEquals(0, csv.exit(), csv.stderr());
        List<String> lines = csv.stdout().strip().lines().toList();
        assertEquals(1 + report.get("rounds").asInt(), lines.size(), "a header and one line per round:\n" + csv.stdout());
        assertEquals(ROUND_FIELDS, List.of(lines.get(0).split(",")), "CSV header");
        JsonNode round0 = report.get("roundRows").get(0);
        String[] first = lines.get(1).split(",");
        assertEquals(ROUND_FIELDS.size(), first.length, lines.get(1));
        assertEquals("0", first[0]);
        assertEquals(round0.get("pagesSent").asText(), first[1]);
        assertEquals(round0.get("bytes").asText(), first[4]);

        Distribution.Result timeline = dist.vmlab("migration:status", "--csv", "timeline", id);
        assertEquals(0, timeline.exit(), timeline.stderr());
        assertEquals(1 + report.get("timeline").size(), timeline.stdout().strip().lines().count(), timeline.stdout());

        Distribution.Result json = dist.vmlab("migration:status", "--json", id);
        assertEquals(0, json.exit(), json.stderr());
        assertEquals(report, JSON.readTree(json.stdout()), "status --json of an ended migration is its report");

        Distribution.Result list = dist.vmlab("migration:list", "--json");
        assertEquals(0, list.exit(), list.stderr());
        assertTrue(list.stdout().contains(id), list.stdout());
    }

    @Test
    @Order(3)
    void anUnknownEngineIsOneErrorLineAndTheVmIsUntouched() throws Exception {
        String vm = VM + "-incoming";
        Distribution.Result r = dist.vmlab("migration:start", "--engine", "warp-drive", "--json", vm);
        assertEquals(1, r.exit(), "the command failed (bin/vmlab: 1): " + r.stderr());
        assertEquals("", r.stdout(), "nothing on stdout");
        List<String> lines = r.stderr().lines().toList();
        assertEquals(1, lines.size(), "one line: " + r.stderr());
        assertTrue(lines.get(0).startsWith("Error: ") && lines.get(0).contains("warp-drive")
                && lines.get(0).contains("precopy"), "names the bad engine and the installed ones: " + lines.get(0));

        Distribution.Result bad = dist.vmlab("migration:status", "--csv", "nonsense", report.get("id").asText());
        assertNotEquals(0, bad.exit());
        assertTrue(bad.stderr().startsWith("Error: ") && bad.stderr().contains("nonsense"), bad.stderr());

        JsonNode info = JSON.readTree(dist.vmlab("vm:info", "--json", vm).stdout());
        assertEquals("running", info.get("state").asText(), "a refused migration leaves the VM running");
        assertEquals(0, dist.vmlab("vm:pause", vm).exit());
        JsonNode verified = JSON.readTree(dist.vmlab("vm:verify", "--json", vm).stdout());
        assertTrue(verified.get("passed").asBoolean(), verified.toString());
        assertFalse(JSON.readTree(dist.vmlab("migration:list", "--json").stdout()).toString().contains("warp-drive"),
                "a refused migration is not listed");
        assertEquals(0, dist.vmlab("vm:destroy", vm).exit());
    }
}
