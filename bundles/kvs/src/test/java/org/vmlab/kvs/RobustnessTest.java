package org.vmlab.kvs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.vmlab.api.kvs.KvsServer;

/**
 * Bad input: each bad client gets memcached's error line or is closed, the server stays up, other
 * clients stay served, and the memory limits hold.
 */
@Timeout(120)
class RobustnessTest extends ServerTestBase {
    static KvsServer server;

    @BeforeAll
    static void start() {
        server = servers.start("buffer-memory=16m");
    }

    /** A well-behaved client still gets right answers. */
    static void stillServed() throws IOException {
        try (TestServers.Client c = new TestServers.Client(server)) {
            assertEquals("STORED", c.ask("set alive 0 0 2\r\nok\r\n"));
            c.send("get alive\r\n");
            assertEquals("VALUE alive 0 2", c.line());
            assertEquals("ok", c.line());
            assertEquals("END", c.line());
        }
    }

    @Test
    void oversizedKeysAndValuesGetErrorLines() throws Exception {
        try (TestServers.Client c = new TestServers.Client(server)) {
            String key = "k".repeat(251);
            assertEquals("CLIENT_ERROR bad command line format", c.ask("get " + key + "\r\n"));
            assertEquals("CLIENT_ERROR bad command line format", c.ask("set " + key + " 0 0 1\r\nx\r\n"));
            assertEquals("STORED", c.ask("set ok 0 0 1\r\nx\r\n"), "the data of the refused set was skipped");
            assertEquals("CLIENT_ERROR bad command line format", c.ask("set k 0 0 -1\r\n"));
            assertEquals("SERVER_ERROR object too large for cache", c.ask("set k 0 0 2000000\r\n"));
            c.send(new byte[2_000_002]);
            assertEquals("CLIENT_ERROR bad data chunk", c.ask("set k 0 0 1\r\nxyz\r\n"));
            assertEquals("ERROR", c.line(), "what followed the bad chunk is read as a command");
        }
        stillServed();
    }

    @Test
    void truncatedCommandsGarbageAndLongLines() throws Exception {
        try (TestServers.Client c = new TestServers.Client(server)) {
            c.send("set k 0 0 10\r\nabc"); // the client goes away in the middle of the data
        }
        Random rnd = new Random(1);
        for (int i = 0; i < 20; i++) {
            try (TestServers.Client c = new TestServers.Client(server)) {
                byte[] junk = new byte[4096];
                rnd.nextBytes(junk);
                junk[0] = 'x'; // not the binary protocol's magic byte
                c.send(junk);
                c.send("\r\nversion\r\n");
                // Garbage lines are answered with ERROR (or a CLIENT_ERROR), then the version comes.
                String l = c.line();
                while (l != null && !l.startsWith("VERSION")) {
                    assertTrue(l.equals("ERROR") || l.startsWith("CLIENT_ERROR "), "an error line: " + l);
                    l = c.line();
                }
                assertTrue(l != null, "the connection stays open for the version");
            }
        }
        try (TestServers.Client c = new TestServers.Client(server)) {
            c.send(new byte[]{(byte) 0x80, 0, 0, 0});
            assertNull(c.line(), "the binary protocol is not spoken: closed");
        }
        try (TestServers.Client c = new TestServers.Client(server)) {
            c.send("g".repeat(70 * 1024));
            assertEquals("CLIENT_ERROR line too long", c.line());
            assertNull(c.line(), "then closed");
        }
        try (TestServers.Client c = new TestServers.Client(server)) {
            c.send("GET / HTTP/1.1\r\n");
            assertNull(c.line(), "an HTTP request is hung up on, as memcached does");
        }
        stillServed();
    }

    @Test
    void aClientThatNeverReadsIsNotBufferedWithoutBound() throws Exception {
        String big = "v".repeat(512 * 1024);
        try (TestServers.Client c = new TestServers.Client(server)) {
            assertEquals("STORED", c.ask("set big 0 0 " + big.length() + "\r\n" + big + "\r\n"));
        }
        try (Socket lazy = new Socket("127.0.0.1", server.address().getPort())) {
            lazy.setSendBufferSize(64 * 1024);
            Thread writer = new Thread(() -> {
                try {
                    byte[] req = "get big big big big\r\n".getBytes();
                    for (int i = 0; i < 20_000; i++) {
                        lazy.getOutputStream().write(req);
                    }
                } catch (IOException e) {
                    // blocked then closed by the test: expected
                }
            });
            writer.setDaemon(true);
            writer.start();
            Thread.sleep(1500);
            stillServed();
            long buffered = Long.parseLong(stat("conn_buffer_bytes"));
            assertTrue(buffered < 4L << 20, "replies queued for the lazy client stay bounded: " + buffered);
        }
        stillServed();
    }

    @Test
    void aThousandIdleConnectionsAndTheConnectionLimit() throws Exception {
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 1000; i++) {
                idle.add(new Socket("127.0.0.1", server.address().getPort()));
            }
            stillServed();
            long deadline = System.currentTimeMillis() + 5000;
            while (Long.parseLong(stat("curr_connections")) < 1000 && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(Long.parseLong(stat("curr_connections")) >= 1000, stat("curr_connections"));
        } finally {
            for (Socket s : idle) {
                s.close();
            }
        }
        KvsServer small = servers.start("max-connections=3");
        List<TestServers.Client> held = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                TestServers.Client c = new TestServers.Client(small);
                held.add(c);
                assertTrue(c.ask("version\r\n").startsWith("VERSION"));
            }
            try (TestServers.Client extra = new TestServers.Client(small)) {
                assertEquals("ERROR Too many open connections", extra.line());
                assertNull(extra.line());
            }
            assertEquals(1, small.stats().rejectedConnections());
        } finally {
            for (TestServers.Client c : held) {
                c.close();
            }
            small.close();
        }
    }

    static String stat(String name) throws IOException {
        try (TestServers.Client c = new TestServers.Client(server)) {
            c.send("stats\r\n");
            String value = null;
            for (String l = c.line(); !"END".equals(l); l = c.line()) {
                if (l.startsWith("STAT " + name + " ")) {
                    value = l.substring(6 + name.length());
                }
            }
            return value;
        }
    }
}
