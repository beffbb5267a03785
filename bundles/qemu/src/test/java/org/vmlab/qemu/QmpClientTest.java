package org.vmlab.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QmpClientTest {
    private static final Duration T = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    /** QMP against a real QEMU with no machine: greeting, commands, errors, events. */
    @Test
    void talksToRealQemu() throws Exception {
        QemuTestSupport.assumeQemu();
        Path sock = dir.resolve("qmp.sock");
        Process p = new ProcessBuilder(QemuTestSupport.QEMU, "-machine", "none", "-display", "none",
                "-nodefaults", "-no-user-config", "-qmp", "unix:" + sock + ",server=on,wait=off")
                .redirectErrorStream(true).redirectOutput(dir.resolve("qemu.log").toFile()).start();
        try (QmpClient q = QmpClient.connect("none", sock, T)) {
            assertNotNull(Json.obj(q.greeting(), "QMP").get("version"));
            Map<String, Object> st = q.execute("query-status", null, T);
            assertEquals("running", st.get("status"));

            QmpException e = assertThrows(QmpException.class, () -> q.execute("no-such-command", null, T));
            assertEquals("CommandNotFound", e.errorClass());
            assertTrue(e.getMessage().contains("no-such-command"), e.getMessage());
            e = assertThrows(QmpException.class, () -> q.execute("migrate-set-capabilities",
                    Map.of("capabilities", List.of(Map.of("capability", "bogus-cap", "state", true))), T));
            assertTrue(e.getMessage().contains("bogus-cap"), e.getMessage());

            BlockingQueue<QmpClient.Event> events = new LinkedBlockingQueue<>();
            q.addEventListener(events::add);
            q.execute("stop", null, T);
            assertEquals("STOP", events.poll(5, TimeUnit.SECONDS).name());
            assertEquals("paused", q.execute("query-status", null, T).get("status"));
            q.execute("cont", null, T);
            assertEquals("RESUME", events.poll(5, TimeUnit.SECONDS).name());

            q.execute("quit", null, T);
            assertTrue(q.closedFuture().get(5, TimeUnit.SECONDS).startsWith("QEMU closed the QMP connection"));
            assertFalse(q.isOpen());
            e = assertThrows(QmpException.class, () -> q.execute("query-status", null, T));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        } finally {
            QemuProcess.killHandle(p.toHandle(), Duration.ofSeconds(3));
        }
        assertTrue(p.waitFor(5, TimeUnit.SECONDS));
    }

    /** A scripted peer: messages split across writes, garbage lines, events between replies. */
    @Test
    void survivesPartialReadsAndGarbage() throws Exception {
        Path sock = dir.resolve("fake.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Thread peer = new Thread(() -> {
                try (SocketChannel c = server.accept()) {
                    String greet = "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n";
                    for (int i = 0; i < greet.length(); i += 5) {
                        send(c, greet.substring(i, Math.min(greet.length(), i + 5)));
                        Thread.sleep(2);
                    }
                    readLine(c); // qmp_capabilities
                    send(c, "{\"return\": {}, \"id\": 1}\r\nthis is not json\r\n{\"return\": 5, \"id\": 999}\r\n\u00ff\u00fe{[\r\n");
                    readLine(c); // query-status
                    send(c, "{\"event\": \"STOP\", \"data\": {}, \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\r\n{\"ret");
                    Thread.sleep(20);
                    send(c, "urn\": {\"status\": \"paused\"}, \"id\": 2}\r\n");
                    readLine(c); // bad
                    send(c, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"it broke\"}, \"id\": 3}\r\n");
                    readLine(c); // slow: never answered
                    Thread.sleep(1500);
                } catch (Exception ignored) {
                    // the test checks the client side
                }
            });
            peer.setDaemon(true);
            peer.start();
            try (QmpClient q = QmpClient.connect("fake", sock, T)) {
                BlockingQueue<QmpClient.Event> events = new LinkedBlockingQueue<>();
                q.addEventListener(events::add);
                assertEquals("paused", q.execute("query-status", null, T).get("status"));
                QmpClient.Event ev = events.poll(5, TimeUnit.SECONDS);
                assertEquals("STOP", ev.name());
                assertEquals(1_000_002L, ev.timestampMicros());
                assertTrue(q.garbageLines() >= 2, "garbage lines counted: " + q.garbageLines());
                QmpException e = assertThrows(QmpException.class, () -> q.execute("bad", null, T));
                assertEquals("QEMU refused 'bad': it broke", e.getMessage());
                e = assertThrows(QmpException.class, () -> q.execute("slow", null, Duration.ofMillis(300)));
                assertTrue(e.getMessage().contains("did not answer 'slow' within 300 ms"), e.getMessage());
                assertEquals("QEMU closed the QMP connection", q.closedFuture().get(5, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void noSocketIsAClearError() {
        QmpException e = assertThrows(QmpException.class,
                () -> QmpClient.connect("x", dir.resolve("missing.sock"), Duration.ofMillis(200)));
        assertTrue(e.getMessage().startsWith("cannot connect to QMP socket"), e.getMessage());
    }

    private static void send(SocketChannel c, String s) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    private static String readLine(SocketChannel c) throws Exception {
        StringBuilder sb = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (true) {
            one.clear();
            if (c.read(one) < 0) {
                return sb.toString();
            }
            char ch = (char) one.get(0);
            if (ch == '\n') {
                return sb.toString();
            }
            sb.append(ch);
        }
    }
}
