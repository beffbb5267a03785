package org.vmlab.kvs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import net.rubyeye.xmemcached.GetsResponse;
import net.rubyeye.xmemcached.MemcachedClient;
import net.rubyeye.xmemcached.XMemcachedClientBuilder;

import org.junit.jupiter.api.Test;
import org.vmlab.api.kvs.KvsServer;

/**
 * Conformance through tools no one here wrote: libmemcached's memccapable (ascii) and the
 * xmemcached Java client.
 */
class ConformanceTest extends ServerTestBase {

    static boolean installed(String tool) {
        return Stream.of(System.getenv("PATH").split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    @Test
    void memccapableAsciiPassesInEveryMode() throws Exception {
        assumeTrue(installed("memccapable"), "memccapable is not installed (.ci/run installs libmemcached-tools)");
        for (String mode : List.of("flat", "dram-only", "nvm-only", "dual-lru")) {
            KvsServer s = servers.start("mode=" + mode);
            try {
                Process p = new ProcessBuilder("memccapable", "-h", "127.0.0.1", "-p",
                        Integer.toString(s.address().getPort()), "-a").redirectErrorStream(true).start();
                p.getOutputStream().close();
                boolean done = p.waitFor(60, TimeUnit.SECONDS);
                if (!done) {
                    p.destroyForcibly();
                }
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(done && out.contains("All tests passed"), mode + ": " + out);
            } finally {
                s.close();
            }
        }
    }

    @Test
    void xmemcachedClientReadsBackEverythingThroughDemotionAndPromotion() throws Exception {
        // DRAM of 4 MiB under 12 MiB of items: most are demoted to NVM and read back from there.
        KvsServer s = servers.start("mode=dual-lru", "dram=4m", "nvm=32m");
        MemcachedClient client = new XMemcachedClientBuilder(List.of(new InetSocketAddress("127.0.0.1",
                s.address().getPort()))).build();
        try {
            client.setOpTimeout(10_000);
            Map<String, byte[]> written = new HashMap<>();
            for (int i = 0; i < 3000; i++) {
                byte[] v = value(i, 4000);
                assertTrue(client.set("k" + i, 0, v));
                written.put("k" + i, v);
            }
            for (int i = 0; i < 3000; i += 7) {
                assertArrayEquals(written.get("k" + i), (byte[]) client.get("k" + i), "k" + i);
            }
            List<String> keys = new ArrayList<>(written.keySet()).subList(0, 200);
            Map<String, Object> many = client.get(keys);
            for (String k : keys) {
                assertArrayEquals(written.get(k), (byte[]) many.get(k), k);
            }
            GetsResponse<Object> g = client.gets("k5");
            assertTrue(client.cas("k5", 0, "new".getBytes(), g.getCas()));
            assertTrue(!client.cas("k5", 0, "newer".getBytes(), g.getCas()), "a stale cas is refused");
            assertEquals(10L, client.incr("ctr", 1, 10), "xmemcached adds the initial value on a miss");
            assertEquals(11L, client.incr("ctr", 1));
            assertTrue(client.delete("k6"));
            assertNull(client.get("k6"));
            assertTrue(client.touch("k7", 100));
            assertTrue(s.stats().demotions() > 0, "items were demoted: " + s.stats());
            assertEquals(0, s.stats().evictions(), "nothing evicted while NVM had room: " + s.stats());
        } finally {
            client.shutdown();
            s.close();
        }
    }

    static byte[] value(int i, int size) {
        byte[] v = new byte[size];
        long x = i * 0x9E3779B97F4A7C15L + 1;
        for (int k = 0; k < size; k++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            v[k] = (byte) x;
        }
        return v;
    }
}
