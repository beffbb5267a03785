package org.vmlab.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

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
 * Memory tiering through bin/vmlab: the emulator's presets, calibration and accuracy table, the
 * tiered key-value server (and memccapable against it), and a tiered emu guest that migrates.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(300)
class TieringIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Distribution dist;

    @BeforeAll
    static void unpack() throws Exception {
        Path work = Path.of(System.getProperty("vmlab.work.dir")).resolveSibling("dist-it-tiering");
        dist = Distribution.unpack(Path.of(System.getProperty("vmlab.dist.archive")), work);
        Files.writeString(dist.home.resolve("etc/org.vmlab.transport.cfg"), "port = 0\n");
    }

    @AfterAll
    static void stop() throws Exception {
        if (dist != null) {
            dist.close();
            assertTrue(dist.karafProcess().isEmpty(), "the Karaf JVM is gone");
        }
    }

    static JsonNode json(String... args) throws Exception {
        Distribution.Result r = dist.vmlab(args);
        assertEquals(0, r.exit(), String.join(" ", args) + ": " + r.stderr());
        assertEquals(1, r.stdout().strip().lines().count(), "one JSON line: " + r.stdout());
        return JSON.readTree(r.stdout());
    }

    static void oneLineError(Distribution.Result r, String mentions) {
        assertTrue(r.exit() != 0, "failed: " + r.stdout());
        List<String> lines = r.stderr().strip().lines().toList();
        assertEquals(1, lines.size(), r.stderr());
        assertTrue(lines.get(0).startsWith("Error: ") && lines.get(0).contains(mentions), lines.get(0));
    }

    @Test
    @Order(1)
    void presetsPoliciesCalibrationAndAccuracy() throws Exception {
        JsonNode list = json("tier:list", "--json");
        List<String> presets = list.get("presets").findValuesAsText("name");
        assertTrue(presets.containsAll(List.of("dram", "optane-dcpmm", "pcm", "reram")), list.toString());
        List<String> policies = new java.util.ArrayList<>();
        list.get("policies").forEach(p -> policies.add(p.get("name").asText()));
        assertEquals(List.of("first-touch", "hot-cold", "static"), policies);
        assertTrue(list.get("policies").toString().contains("hot-threshold"), "hot-cold describes its options");
        List<String> defaults = new java.util.ArrayList<>();
        json("policy:list", "--json").forEach(p -> {
            if (p.get("isDefault").asBoolean() && List.of("tiering", "kvs").contains(p.get("family").asText())) {
                defaults.add(p.get("family").asText() + "/" + p.get("name").asText());
            }
        });
        assertEquals(List.of("tiering/first-touch", "kvs/tiered-memcached"), defaults, "the catalog's defaults");
        JsonNode cal = json("tier:calibrate", "--json");
        assertTrue(cal.get("hostReadNanos").asDouble() > 0 && cal.get("clockNanos").asDouble() > 0, cal.toString());
        JsonNode acc = json("tier:accuracy", "--latencies", "2000", "--hops", "40000", "--buffer", "1m", "--json");
        JsonNode rows = acc.get("rows");
        assertEquals(3, rows.size(), acc.toString());
        assertTrue(rows.get(0).get("measuredNanos").asDouble() > 1000, "a 2 us read is slow: " + rows);
        assertTrue(rows.get(2).get("measuredNanos").asDouble() < 1000, "the symmetric model misses the write cost: " + rows);
        Distribution.Result help = dist.vmlab("tier:accuracy", "--help");
        assertTrue(help.stdout().contains("--latencies"), help.stdout());
    }

    @Test
    @Order(2)
    void kvsStartsServesMemccapableAndStops() throws Exception {
        JsonNode started = json("kvs:start", "--name", "it", "--port", "0", "--dram", "8m", "--nvm", "32m", "--json");
        String address = started.get("address").asText();
        assertTrue(address.startsWith("127.0.0.1:"), "loopback by default: " + address);
        int port = Integer.parseInt(address.substring(address.indexOf(':') + 1));
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write("set hello 0 0 5\r\nworld\r\nget hello\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] want = "STORED\r\nVALUE hello 0 5\r\nworld\r\nEND\r\n".getBytes(StandardCharsets.US_ASCII);
            assertEquals(new String(want, StandardCharsets.US_ASCII), new String(in.readNBytes(want.length),
                    StandardCharsets.US_ASCII));
        }
        if (Stream.of(System.getenv("PATH").split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, "memccapable")))) {
            Distribution.Result r = Distribution.exec(List.of("memccapable", "-h", "127.0.0.1", "-p",
                    Integer.toString(port), "-a"), dist.home, Duration.ofSeconds(60));
            assertTrue(r.stdout().contains("All tests passed"), r.stdout() + r.stderr());
        }
        JsonNode stats = json("kvs:stats", "--json", "it");
        assertEquals("dual-lru", stats.get("mode").asText());
        assertEquals(2, stats.get("tiers").size());
        oneLineError(dist.vmlab("kvs:start", "--name", "bad", "--mode", "sideways"), "mode");
        oneLineError(dist.vmlab("kvs:start", "--name", "it", "--port", "0"), "it");
        JsonNode help = json("kvs:start", "--option", "help", "--json");
        assertTrue(help.toString().contains("nvm-model"), help.toString());
        json("kvs:stop", "--json", "it");
        oneLineError(dist.vmlab("kvs:stats", "it"), "it");
        try (Socket s = new Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(2000);
            assertEquals(-1, s.getInputStream().read(), "nothing serves after kvs:stop");
        } catch (java.net.ConnectException e) {
            // refused: stopped
        }
    }

    @Test
    @Order(3)
    void aTieredGuestReportsItsTiersAndMigratesVerified() throws Exception {
        Distribution.Result created = dist.vmlab("vm:create", "--vcpus", "1", "--tier", "dram=16M",
                "--tier", "nvm=48M:read=374ns,write=600ns", "--tier-policy", "hot-cold", "--workload", "memory", "--param", "rate=8M", "--param", "working-set=32M",
                "--param", "distribution=zipf", "tvm");
        assertEquals(0, created.exit(), created.stderr());
        JsonNode st = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            st = json("tier:status", "--json", "tvm");
            if (st.get("tiers").get(1).get("usedBytes").asLong() > 0) {
                break;
            }
            Thread.sleep(500);
        }
        assertEquals("hot-cold", st.get("policy").asText());
        assertEquals(16L << 20, st.get("tiers").get(0).get("capacityBytes").asLong());
        assertTrue(st.get("tiers").get(1).get("usedBytes").asLong() > 0, "frames on NVM: " + st);
        JsonNode report = json("migration:start", "--verify", "--json", "tvm");
        assertEquals("completed", report.get("status").asText());
        assertEquals("passed", report.get("verified").asText());
        JsonNode after = json("tier:status", "--json", "tvm-incoming");
        assertEquals("hot-cold", after.get("policy").asText());
        assertEquals(600, after.get("tiers").get(1).get("model").get("writeLatencyNanos").asLong(),
                "the model spec travels with the VM: " + after);
        oneLineError(dist.vmlab("tier:status", "tvm"), "tvm");
        oneLineError(dist.vmlab("vm:create", "--tier", "dram:1G", "bad"), "NAME=SIZE");
        oneLineError(dist.vmlab("vm:create", "--memory", "64M", "--tier", "dram=16M", "--tier", "nvm=16M", "bad"), "add up");
        assertEquals(0, dist.vmlab("vm:destroy", "tvm-incoming").exit());
    }
}
