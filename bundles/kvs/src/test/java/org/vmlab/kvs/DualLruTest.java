package org.vmlab.kvs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;


import org.junit.jupiter.api.Test;
import org.vmlab.api.kvs.KvsServer;
import org.vmlab.api.kvs.KvsStats;
import org.vmlab.api.kvs.KvsTierStats;

/** Where items live: demotion, promotion, eviction only from NVM's COLD tail, and the limits. */
class DualLruTest extends ServerTestBase {

    static void fill(TestServers.Client c, String prefix, int n, int size) throws Exception {
        String v = "x".repeat(size);
        StringBuilder batch = new StringBuilder();
        for (int i = 0; i < n; i++) {
            batch.append("set ").append(prefix).append(i).append(" 0 0 ").append(size).append(" noreply\r\n")
                    .append(v).append("\r\n");
            if (batch.length() > 256 * 1024) {
                c.send(batch.toString());
                batch.setLength(0);
            }
        }
        c.send(batch.toString());
        assertTrue(c.ask("version\r\n").startsWith("VERSION"));
    }

    static String tier(TestServers.Client c, String key) throws Exception {
        String me = c.ask("me " + key + "\r\n");
        return me.startsWith("ME") ? me.substring(me.indexOf("tier=") + 5) : me;
    }

    @Test
    void coldItemsAreDemotedActiveOnesPromotedAndOnlyNvmEvicts() throws Exception {
        KvsServer s = servers.start("mode=dual-lru", "dram=4m", "nvm=16m");
        try (TestServers.Client c = new TestServers.Client(s)) {
            fill(c, "a", 2500, 3000); // about 7.5 MB of items into 4 MiB of DRAM
            KvsStats st = s.stats();
            assertTrue(st.demotions() > 0, st.toString());
            assertEquals(0, st.evictions(), "NVM had room: nothing evicted");
            assertEquals("nvm", tier(c, "a0"), "the first items went cold and were demoted");
            assertEquals("dram", tier(c, "a2499"), "the last one is still in DRAM");
            c.send("get a0\r\n");
            while (!"END".equals(c.line())) {
                // drain
            }
            c.send("get a0\r\n");
            while (!"END".equals(c.line())) {
                // drain: the second hit makes it active
            }
            long deadline = System.currentTimeMillis() + 5000;
            while (!tier(c, "a0").equals("dram") && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertEquals("dram", tier(c, "a0"), "an active NVM item was promoted by the maintainer");
            assertTrue(s.stats().promotions() > 0);
            fill(c, "b", 8000, 3000); // 24 MB more: NVM fills, its COLD tail is evicted
            st = s.stats();
            assertTrue(st.evictions() > 0, st.toString());
            for (KvsTierStats t : st.tiers()) {
                assertTrue(t.usedBytes() <= t.limitBytes(), "the limit of " + t.name() + " holds: " + t);
            }
        } finally {
            s.close();
        }
    }

    @Test
    void eachModeKeepsItsItemsWhereItSays() throws Exception {
        for (String mode : new String[]{"flat", "dram-only", "nvm-only"}) {
            KvsServer s = servers.start("mode=" + mode, "dram=4m", "nvm=4m");
            try (TestServers.Client c = new TestServers.Client(s)) {
                fill(c, "m", 3000, 3000);
                assertEquals(mode.equals("nvm-only") ? "nvm" : "dram", tier(c, "m2999"), mode);
                KvsStats st = s.stats();
                assertEquals(0, st.demotions(), mode);
                assertTrue(st.evictions() > 0, mode + " evicts when its one tier is full: " + st);
                assertEquals(1, st.tiers().size(), mode);
                assertTrue(st.tiers().get(0).usedBytes() <= st.tiers().get(0).limitBytes());
            } finally {
                s.close();
            }
        }
    }
}
