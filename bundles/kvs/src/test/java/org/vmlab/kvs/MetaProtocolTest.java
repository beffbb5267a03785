package org.vmlab.kvs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vmlab.api.kvs.KvsServer;

/** The meta commands (mg, ms, md, ma, mn, me) over a real socket. */
class MetaProtocolTest extends ServerTestBase {
    static KvsServer server;

    @BeforeAll
    static void start() {
        server = servers.start();
    }

    @Test
    void setGetWithReturnFlags() throws Exception {
        try (TestServers.Client c = new TestServers.Client(server)) {
            assertEquals("HD", c.ask("ms mk 5 F7 T100\r\nhello\r\n"));
            assertEquals("VA 5 f7 s5", c.ask("mg mk v f s\r\n"));
            assertEquals("hello", c.line());
            String hd = c.ask("mg mk c k Oabc t h\r\n");
            assertTrue(hd.matches("HD c\\d+ kmk Oabc t(99|100) h1"), "request order: " + hd);
            assertEquals("EN", c.ask("mg nokey v\r\n"));
            c.send("mg nokey v q\r\nmn\r\n");
            assertEquals("MN", c.line(), "q hides the miss; mn ends the pipeline");
            assertEquals("NS", c.ask("ms mk 1 ME\r\nx\r\n"), "mode E (add) on an existing key");
            assertEquals("NF", c.ask("md nokey\r\n"));
            String me = c.ask("me mk\r\n");
            assertTrue(me.startsWith("ME mk exp=") && me.contains(" fetch=yes") && me.contains(" tier=dram"), me);
            assertEquals("HD", c.ask("md mk\r\n"));
            assertEquals("EN", c.ask("me mk\r\n"));
        }
    }

    @Test
    void casBase64AndArithmetic() throws Exception {
        try (TestServers.Client c = new TestServers.Client(server)) {
            String hd = c.ask("ms ck 2 c\r\nio\r\n");
            long cas = Long.parseLong(hd.substring(hd.indexOf('c') + 1));
            assertEquals("EX c0", c.ask("ms ck 2 c C" + (cas + 10) + "\r\nio\r\n"));
            assertTrue(c.ask("ms ck 2 C" + cas + "\r\nok\r\n").startsWith("HD"));
            String key = Base64.getEncoder().encodeToString("bin\u0001key".getBytes());
            assertEquals("HD", c.ask("ms " + key + " 1 b\r\nz\r\n"));
            assertEquals("VA 1 k" + key + " b", c.ask("mg " + key + " b v k\r\n"), "memcached's order");
            assertEquals("z", c.line());
            assertEquals("NF", c.ask("ma counter\r\n"));
            assertEquals("HD", c.ask("ma counter N0 J10\r\n"), "autovivified from J");
            assertEquals("VA 2", c.ask("ma counter D5 v\r\n"));
            assertEquals("15", c.line());
            assertEquals("VA 1", c.ask("ma counter MD D20 v\r\n"));
            assertEquals("0", c.line());
            assertEquals("CLIENT_ERROR invalid flag", c.ask("mg counter !\r\n"));
            assertEquals("CLIENT_ERROR bad command line format", c.ask("mg " + "k".repeat(251) + " v\r\n"));
        }
    }

    @Test
    void leasesWinOnceThenTellOthers() throws Exception {
        try (TestServers.Client c = new TestServers.Client(server)) {
            String won = c.ask("mg lease s v N30 c\r\n");
            assertTrue(won.startsWith("VA 0 s0 c") && won.endsWith(" W"), "a vivified miss wins: " + won);
            assertEquals("", c.line());
            String lost = c.ask("mg lease s N30\r\n");
            assertTrue(lost.endsWith(" Z") && !lost.contains(" W"), "the next one is told: " + lost);
            assertEquals("HD", c.ask("ms lease 2 T100\r\nok\r\n"));
            assertEquals("HD s2", c.ask("mg lease s N30\r\n"), "a stored value ends the lease");
            assertEquals("HD", c.ask("md lease I T30\r\n"));
            assertEquals("VA 2 W X", c.ask("mg lease v\r\n"), "stale: the first reader wins the recache");
            assertEquals("ok", c.line());
            assertEquals("VA 2 X Z", c.ask("mg lease v\r\n"));
            assertEquals("ok", c.line());
        }
    }
}
