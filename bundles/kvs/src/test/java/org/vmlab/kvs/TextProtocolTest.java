package org.vmlab.kvs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;


import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vmlab.api.kvs.KvsServer;

/** The text protocol over a real socket, replies compared with memcached 1.6's exact lines. */
class TextProtocolTest extends ServerTestBase {
    static KvsServer server;

    @BeforeAll
    static void start() {
        server = servers.start("mode=dual-lru");
    }

    @Test
    void storageRetrievalCasAndArithmetic() throws Exception {
        try (TestServers.Client c = new TestServers.Client(server)) {
            assertEquals("STORED", c.ask("set a 5 0 3\r\nabc\r\n"));
            c.send("get a\r\n");
            assertEquals("VALUE a 5 3", c.line());
            assertEquals("abc", c.line());
            assertEquals("END", c.line());
            assertEquals("NOT_STORED", c.ask("add a 0 0 1\r\nx\r\n"));
            assertEquals("NOT_STORED", c.ask("replace nokey 0 0 1\r\nx\r\n"));
            assertEquals("STORED", c.ask("append a 0 0 2\r\nde\r\n"));
            assertEquals("STORED", c.ask("prepend a 0 0 1\r\nz\r\n"));
            c.send("gets a\r\n");
            String[] head = c.line().split(" ");
            assertEquals("zabcde", c.line());
            assertEquals("END", c.line());
            assertEquals("5", head[2], "append keeps the flags");
            long cas = Long.parseLong(head[4]);
            assertEquals("EXISTS", c.ask("cas a 0 0 1 " + (cas + 1) + "\r\nq\r\n"));
            assertEquals("STORED", c.ask("cas a 0 0 1 " + cas + "\r\nq\r\n"));
            assertEquals("NOT_FOUND", c.ask("cas nokey 0 0 1 1\r\nq\r\n"));
            assertEquals("STORED", c.ask("set n 0 0 2\r\n10\r\n"));
            assertEquals("15", c.ask("incr n 5\r\n"));
            assertEquals("0", c.ask("decr n 100\r\n"), "decr stops at 0");
            assertEquals("18446744073709551615", c.ask("incr n 18446744073709551615\r\n"));
            assertEquals("0", c.ask("incr n 1\r\n"), "incr wraps at 2^64");
            assertEquals("CLIENT_ERROR cannot increment or decrement non-numeric value", c.ask("incr a 1\r\n"));
            assertEquals("CLIENT_ERROR invalid numeric delta argument", c.ask("incr n x\r\n"));
            assertEquals("NOT_FOUND", c.ask("incr nokey 1\r\n"));
            assertEquals("TOUCHED", c.ask("touch a 100\r\n"));
            c.send("gat 0 a nokey\r\n");
            assertEquals("VALUE a 0 1", c.line(), "cas stored flags 0");
            assertEquals("q", c.line());
            assertEquals("END", c.line());
            assertEquals("DELETED", c.ask("delete a\r\n"));
            assertEquals("NOT_FOUND", c.ask("delete a\r\n"));
            assertEquals("END", c.ask("get a\r\n"));
        }
    }

    @Test
    void expiryFlushNoreplyAndVersion() throws Exception {
        try (TestServers.Client c = new TestServers.Client(server)) {
            assertEquals("STORED", c.ask("set gone 0 -1 1\r\nx\r\n"));
            assertEquals("END", c.ask("get gone\r\n"), "a negative expiry is expired at once");
            c.send("set quiet 0 0 1 noreply\r\nq\r\n");
            assertTrue(c.ask("version\r\n").startsWith("VERSION "), "noreply sent nothing before the version");
            assertEquals("STORED", c.ask("set f 0 0 1\r\nx\r\n"));
            assertEquals("OK", c.ask("flush_all\r\n"));
            assertEquals("END", c.ask("get f\r\n"), "flush_all invalidates what was stored");
            assertEquals("STORED", c.ask("set f 0 0 1\r\ny\r\n"));
            c.send("get f\r\n");
            assertEquals("VALUE f 0 1", c.line());
            assertEquals("y", c.line());
            assertEquals("END", c.line());
            assertEquals("OK", c.ask("verbosity 1\r\n"));
            assertEquals("ERROR", c.ask("bogus command\r\n"));
            assertEquals("ERROR", c.ask("\r\n"));
            c.send("stats\r\n");
            boolean sawItems = false;
            for (String l = c.line(); !"END".equals(l); l = c.line()) {
                assertTrue(l.startsWith("STAT "), l);
                sawItems |= l.startsWith("STAT curr_items ");
            }
            assertTrue(sawItems);
        }
    }

    @Test
    void valuesUpToTheItemMaximumAndNotBeyond() throws Exception {
        try (TestServers.Client c = new TestServers.Client(server)) {
            String mib = "B".repeat(1024 * 1024);
            assertEquals("STORED", c.ask("set big 0 0 " + mib.length() + "\r\n" + mib + "\r\n"));
            c.send("get big\r\n");
            assertEquals("VALUE big 0 " + mib.length(), c.line());
            assertEquals(mib, c.line());
            assertEquals("END", c.line());
            String over = mib + "B";
            assertEquals("SERVER_ERROR object too large for cache", c.ask("set big 0 0 " + over.length() + "\r\n" + over + "\r\n"));
            assertEquals("END", c.ask("get big\r\n"), "a refused set drops the old value, as memcached");
            assertEquals("STORED", c.ask("set after 0 0 2\r\nok\r\n"), "the refused data was skipped");
        }
    }

    @Test
    void aMultiGetLongerThanAnyOtherLine() throws Exception {
        try (TestServers.Client c = new TestServers.Client(server)) {
            assertEquals("STORED", c.ask("set mk 0 0 2\r\nhi\r\n"));
            int n = 20_000; // a 200 KB line, as memcached's getset.t sends
            c.send("get " + "mk ".repeat(n) + "\r\n");
            for (int i = 0; i < n; i++) {
                assertEquals("VALUE mk 0 2", c.line());
                assertEquals("hi", c.line());
            }
            assertEquals("END", c.line());
        }
    }
}
