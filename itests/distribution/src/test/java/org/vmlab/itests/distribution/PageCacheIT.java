package org.vmlab.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Page-cache teleportation through bin/vmlab: the detectors on a warm web guest, and a precopy
 * that reads the page cache from the node's SAN endpoint.
 */
@Timeout(240)
class PageCacheIT {
    private static Distribution dist;
    private static Path work;

    @BeforeAll
    static void unpack() throws Exception {
        work = Path.of(System.getProperty("vmlab.work.dir")).resolveSibling("dist-it-pagecache");
        dist = ShellCalls.unpack("dist-it-pagecache");
    }

    @AfterAll
    static void stop() throws Exception {
        ShellCalls.close(dist);
    }

    static JsonNode json(String... args) throws Exception {
        return ShellCalls.json(dist, args);
    }

    @Test
    void detectorsFindTheWarmCacheAndPrecopyReadsItFromTheSan() throws Exception {
        Path disk = work.resolve("web.img");
        json("vm:create", "--memory", "256M", "--vcpus", "1", "--disk", disk.toString(), "--disk-size", "96M",
                "--workload", "web", "--param", "files=64M", "--param", "warm=true", "--param", "rate=100",
                "--json", "web1");
        long wanted = 64L * 1024 * 1024 / 4096;
        JsonNode list = null;
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            list = json("pagecache:list", "--json", "web1");
            if (list.get(0).get("guestCleanPages").asLong() >= wanted) {
                break;
            }
            Thread.sleep(500);
        }
        List<String> names = list.findValuesAsText("detector");
        assertTrue(names.containsAll(List.of("guest-agent", "introspection", "io-monitor")), list.toString());
        list = json("pagecache:list", "--json", "web1");
        for (JsonNode d : list) {
            assertEquals(0, d.get("wrongEntries").asLong(), d.toString());
            if (!d.get("detector").asText().equals("io-monitor")) { // io-monitor only sees I/O after it started
                assertTrue(d.get("restorablePages").asLong() >= wanted, d.toString());
            }
        }
        JsonNode show = json("pagecache:show", "--detector", "guest-agent", "--json", "web1");
        assertTrue(show.get("runs").size() >= 1 && show.get("restorablePages").asLong() >= wanted, show.toString());

        Distribution.Result bad = dist.vmlab("pagecache:show", "--detector", "nope", "web1");
        assertTrue(bad.exit() != 0);
        List<String> lines = bad.stderr().strip().lines().toList();
        assertEquals(1, lines.size(), bad.stderr());
        assertTrue(lines.get(0).startsWith("Error: ") && lines.get(0).contains("guest-agent"), lines.get(0));

        JsonNode r = json("migration:start", "--detector", "guest-agent", "--san-rate", "400m", "--rate", "400m",
                "--verify", "--json", "web1");
        assertEquals("completed", r.get("status").asText().toLowerCase(), r.toString());
        assertEquals("passed", r.get("verified").asText().toLowerCase(), r.toString());
        assertTrue(r.get("bytesSan").asLong() > 0, r.toString());
        JsonNode pc = r.get("pageCache");
        assertEquals("adaptive", pc.get("split").asText());
        assertTrue(pc.get("pagesSan").asLong() > 0 && pc.get("pagesNetwork").asLong() >= 0, pc.toString());

        Distribution.Result help = dist.vmlab("migration:start", "--help");
        assertTrue(help.stdout().contains("--san-rate") && help.stdout().contains("--detector"), help.stdout());
    }
}
