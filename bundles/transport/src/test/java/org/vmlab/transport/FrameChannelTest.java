package org.vmlab.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.DataRate;

@Timeout(60)
class FrameChannelTest {
    static final SharedSecret SECRET = SharedSecret.of("0123456789abcdef0123456789abcdef".getBytes());
    static final Duration T = Duration.ofSeconds(2);

    ServerSocket server;
    final List<String> refusals = new CopyOnWriteArrayList<>();
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicLong received = new AtomicLong();

    /** Accepts, authenticates and drains frames (echoing type 1 frames) until the peer closes. */
    @BeforeEach
    void startServer() throws IOException {
        server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    new Thread(() -> serve(s)).start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
    }

    private void serve(Socket s) {
        try (FrameChannel ch = FrameChannel.accept(s, SECRET, T)) {
            accepted.incrementAndGet();
            while (true) {
                Frame f = ch.receive();
                received.addAndGet(FrameChannel.HEADER + f.length());
                if (f.type() == 1) {
                    ch.send(1, f.bytes());
                }
            }
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("refused")
                    || e.getMessage() != null && e.getMessage().contains("magic")) {
                refusals.add(e.getMessage());
            }
        }
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    InetSocketAddress addr() {
        return new InetSocketAddress("127.0.0.1", server.getLocalPort());
    }

    @Test
    void unreachablePeersAreNamedInOneSentence() throws IOException {
        // Unresolved on purpose: no name lookup leaves the machine.
        TransportException unknown = assertThrows(TransportException.class, () -> FrameChannel.connect(
                InetSocketAddress.createUnresolved("256.1.1.1", 7301), SECRET, T, null));
        assertEquals("cannot reach 256.1.1.1:7301: unknown host '256.1.1.1'", unknown.getMessage());
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        int port = closed;
        TransportException refused = assertThrows(TransportException.class, () -> FrameChannel.connect(
                new InetSocketAddress("127.0.0.1", port), SECRET, T, null));
        assertEquals("cannot reach 127.0.0.1:" + port + ": connection refused (is a vmlab receiver listening there?)",
                refused.getMessage());
    }

    @Test
    void framesRoundTripAfterMutualAuthentication() throws Exception {
        try (FrameChannel ch = FrameChannel.connect(addr(), SECRET, T, null)) {
            ch.send(1, "hello".getBytes());
            Frame f = ch.receive();
            assertEquals(1, f.type());
            assertArrayEquals("hello".getBytes(), f.bytes());
        }
    }

    @Test
    void wrongSecretIsRefusedAndTheServerKeepsServing() throws Exception {
        SharedSecret wrong = SharedSecret.of("ffffffffffffffffffffffffffffffff".getBytes());
        TransportException e = assertThrows(TransportException.class,
                () -> FrameChannel.connect(addr(), wrong, T, null));
        assertTrue(e.getMessage().contains("authentication"), e.getMessage());
        framesRoundTripAfterMutualAuthentication();
    }

    @Test
    void unsupportedVersionIsRefusedWithAReason() throws Exception {
        TransportException e = assertThrows(TransportException.class,
                () -> FrameChannel.connectWithVersion(addr(), SECRET, T, 99));
        assertTrue(e.getMessage().contains("unsupported protocol version 99"), e.getMessage());
        framesRoundTripAfterMutualAuthentication();
    }

    @Test
    void garbageIsRefusedAndTheServerKeepsServing() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.getLocalPort())) {
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
            out.flush();
            s.setSoTimeout(3000);
            assertEquals(-1, s.getInputStream().read(), "server closes on garbage");
        }
        long deadline = System.currentTimeMillis() + 2000;
        while (refusals.isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(refusals.get(0).contains("magic"), refusals.toString());
        framesRoundTripAfterMutualAuthentication();
    }

    @Test
    void silentServerIsDetectedWithinTheTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            long t0 = System.nanoTime();
            TransportException e = assertThrows(TransportException.class, () -> FrameChannel.connect(
                    new InetSocketAddress("127.0.0.1", silent.getLocalPort()), SECRET, Duration.ofMillis(500), null));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 400 && ms < 2000, "detected after " + ms + " ms: " + e.getMessage());
        }
    }

    @Test
    void stuckWriteIsDetectedWithinTheTimeout() throws Exception {
        try (ServerSocket lazy = new ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            List<Socket> keep = new ArrayList<>();
            Thread t = new Thread(() -> {
                try {
                    Socket s = lazy.accept();
                    keep.add(s);
                    FrameChannel.accept(s, SECRET, Duration.ofSeconds(30));
                    // authenticated, then never reads again
                } catch (IOException ignored) {
                    // test ends
                }
            });
            t.setDaemon(true);
            t.start();
            try (FrameChannel ch = FrameChannel.connect(new InetSocketAddress("127.0.0.1", lazy.getLocalPort()),
                    SECRET, Duration.ofMillis(800), null)) {
                byte[] chunk = new byte[1 << 20];
                long t0 = System.nanoTime();
                IOException e = assertThrows(IOException.class, () -> {
                    for (int i = 0; i < 10_000; i++) {
                        ch.send(2, chunk);
                    }
                });
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(ms < 4000, "stuck write detected after " + ms + " ms: " + e);
                assertTrue(e.getMessage().contains("accepted no data"), e.getMessage());
            }
        }
    }

    @Test
    void oversizedFrameLengthIsRefusedWithoutAllocating() throws Exception {
        try (FrameChannel ch = FrameChannel.connect(addr(), SECRET, T, null)) {
            // our own peer cannot send one; check the receive side with a crafted length via a loopback pair
        }
        try (ServerSocket ss = new ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = ss.accept(); FrameChannel ch = FrameChannel.accept(s, SECRET, T)) {
                    TransportException e = assertThrows(TransportException.class, () -> ch.receive(1024));
                    refusals.add(e.getMessage());
                } catch (IOException ignored) {
                    // reported by absence
                }
            });
            t.start();
            try (FrameChannel ch = FrameChannel.connect(new InetSocketAddress("127.0.0.1", ss.getLocalPort()),
                    SECRET, T, null)) {
                ch.send(3, new byte[4096]);
                t.join(3000);
            }
            assertTrue(refusals.stream().anyMatch(m -> m.contains("length 4096 (limit 1024)")), refusals.toString());
        }
    }

    @Test
    void rateLimitIsAccurateToTwoPercent() throws Exception {
        long bits = 200_000_000L;
        RateLimiter limiter = new RateLimiter(new DataRate(bits));
        long total = 64L << 20;
        byte[] chunk = new byte[256 * 1024];
        try (FrameChannel a = FrameChannel.connect(addr(), SECRET, T, limiter);
             FrameChannel b = FrameChannel.connect(addr(), SECRET, T, limiter)) {
            // two streams sharing the link's bucket
            long before = a.bytesSent() + b.bytesSent();
            long t0 = System.nanoTime();
            Thread tb = new Thread(() -> {
                try {
                    for (long sent = 0; sent < total / 2; sent += chunk.length) {
                        b.send(2, chunk);
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            tb.start();
            for (long sent = 0; sent < total / 2; sent += chunk.length) {
                a.send(2, chunk);
            }
            tb.join();
            double seconds = (System.nanoTime() - t0) / 1e9;
            long bytes = a.bytesSent() + b.bytesSent() - before;
            double expected = Math.max(0, bytes - limiter.burstBytes()) * 8.0 / bits;
            double rate = bytes * 8 / seconds;
            System.out.printf("rate limit: %d bytes in %.3f s = %.1f Mbit/s (limit %.1f), expected %.3f s%n",
                    bytes, seconds, rate / 1e6, bits / 1e6, expected);
            assertEquals(expected, seconds, expected * 0.02 + 0.02);
        }
    }

    @Test
    void unlimitedLoopbackThroughputVersusPlainSocket() throws Exception {
        long total = 256L << 20;
        byte[] chunk = new byte[256 * 1024];
        double framed;
        try (FrameChannel a = FrameChannel.connect(addr(), SECRET, T, null)) {
            long t0 = System.nanoTime();
            for (long sent = 0; sent < total; sent += chunk.length) {
                a.send(2, chunk);
            }
            framed = total / ((System.nanoTime() - t0) / 1e9);
        }
        double plain;
        try (ServerSocket ss = new ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = ss.accept()) {
                    byte[] buf = new byte[256 * 1024];
                    while (s.getInputStream().read(buf) >= 0) {
                        // drain
                    }
                } catch (IOException ignored) {
                    // done
                }
            });
            t.start();
            try (Socket s = new Socket("127.0.0.1", ss.getLocalPort())) {
                OutputStream out = s.getOutputStream();
                long t0 = System.nanoTime();
                for (long sent = 0; sent < total; sent += chunk.length) {
                    out.write(chunk);
                }
                out.flush();
                plain = total / ((System.nanoTime() - t0) / 1e9);
            }
            t.join();
        }
        System.out.printf("loopback: framed+authenticated %.0f MiB/s, plain socket %.0f MiB/s (ratio %.2f)%n",
                framed / (1 << 20), plain / (1 << 20), framed / plain);
        assertTrue(framed > 0);
    }

    @Test
    void pageBatchRoundTripsRawLz4AndZeroPages() throws Exception {
        for (boolean compress : new boolean[]{false, true}) {
            PageBatch.Writer w = new PageBatch.Writer(compress, 64 * 1024);
            w.begin(3);
            Random r = new Random(1);
            byte[] random = new byte[4096];
            r.nextBytes(random);
            byte[] text = new byte[4096];
            for (int i = 0; i < text.length; i++) {
                text[i] = (byte) ('a' + i % 7);
            }
            w.addPage(5, ByteBuffer.wrap(random));
            w.addZero(6);
            w.addPage(7, ByteBuffer.wrap(text));
            ByteBuffer payload = w.payload();
            List<Object[]> got = new ArrayList<>();
            PageBatch.Reader reader = new PageBatch.Reader(8);
            assertEquals(3, reader.read(payload, (round, pfn, content) -> {
                byte[] b = null;
                if (content != null) {
                    b = new byte[4096];
                    content.get(b);
                }
                got.add(new Object[]{round, pfn, b});
            }));
            assertEquals(3, got.get(0)[0]);
            assertArrayEquals(random, (byte[]) got.get(0)[2]);
            assertNull(got.get(1)[2]);
            assertArrayEquals(text, (byte[]) got.get(2)[2]);
            if (compress) {
                assertTrue(w.length() < 4096 + 4096 / 2, "text page compressed: " + w.length());
            }
            PageBatch.Reader small = new PageBatch.Reader(6);
            assertThrows(TransportException.class, () -> small.read(payload, (a, b, c) -> { }));
        }
    }

    /** A batch of one record: pfn 0, this kind and these bytes. */
    static ByteBuffer record(int kind, int... rest) {
        ByteBuffer b = ByteBuffer.allocate(8 + 9 + rest.length);
        b.putInt(0).putInt(1).putLong(0).put((byte) kind);
        for (int v : rest) {
            b.put((byte) v);
        }
        return b.flip().asReadOnlyBuffer();
    }

    static String refusal(ByteBuffer batch) {
        PageBatch.Reader reader = new PageBatch.Reader(8);
        return assertThrows(TransportException.class, () -> reader.read(batch, (a, b, c) -> { })).getMessage();
    }

    @Test
    void malformedLz4RecordsAreRefused() {
        assertTrue(refusal(record(PageBatch.LZ4)).contains("bad LZ4 length -1"));
        assertTrue(refusal(record(PageBatch.LZ4, 0, 0, 0, 0)).contains("bad LZ4 length 0"));
        assertTrue(refusal(record(PageBatch.LZ4, 0, 0, 0x10, 1, 0)).contains("bad LZ4 length 4097"));
        assertTrue(refusal(record(PageBatch.LZ4, 0x7f, 0, 0, 0)).contains("bad LZ4 length"));
        assertTrue(refusal(record(PageBatch.LZ4, 0, 0, 0, 4, 0x10, 'a', 'b')).contains("bad LZ4 length 4"));
        assertTrue(refusal(record(PageBatch.LZ4, 0, 0, 0, 2, 0x10, 'a')).contains("decodes to 1 bytes"));
        // a match before the start of the page
        assertTrue(refusal(record(PageBatch.LZ4, 0, 0, 0, 4, 0x00, 9, 0, 0)).contains("LZ4 block of 4 bytes is malformed"));
        assertTrue(refusal(record(2, 0, 0, 0, 4, 1, 2, 3, 4)).contains("only accepts LZ4"));
        assertTrue(refusal(record(9)).contains("unknown page record kind 9"));
    }

    @Test
    void compressedBatchesOfAPageMixRoundTrip() throws Exception {
        Random r = new Random(5);
        PageBatch.Writer w = new PageBatch.Writer(true, 256 * 1024);
        PageBatch.Reader reader = new PageBatch.Reader(1 << 20);
        List<byte[]> sent = new ArrayList<>();
        w.begin(1);
        for (int i = 0; i < 40; i++) {
            byte[] p = new byte[4096];
            switch (i % 4) {
                case 0 -> r.nextBytes(p);
                case 1 -> java.util.Arrays.fill(p, (byte) i);
                case 2 -> {
                    for (int j = 0; j < p.length; j++) {
                        p[j] = (byte) ("page " + i).charAt(j % 6);
                    }
                }
                default -> {
                    r.nextBytes(p);
                    java.util.Arrays.fill(p, 100, 4000, (byte) 0);
                }
            }
            sent.add(p);
            w.addPage(i, ByteBuffer.wrap(p));
        }
        List<byte[]> got = new ArrayList<>();
        reader.read(w.payload(), (round, pfn, content) -> {
            byte[] b = new byte[4096];
            content.get(b);
            assertEquals(got.size(), pfn);
            got.add(b);
        });
        for (int i = 0; i < sent.size(); i++) {
            assertArrayEquals(sent.get(i), got.get(i), "page " + i);
        }
        assertEquals(30, w.compressedPages(), "the random pages go raw");
        assertTrue(w.compressionRatio() < 0.2, "ratio " + w.compressionRatio());
    }

    @Test
    void secretFileMustBeOwnerOnly(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("sub/transport.secret");
        SharedSecret created = SharedSecret.loadOrCreate(f);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        assertEquals(65, Files.readString(f).length());
        assertEquals(created, SharedSecret.loadOrCreate(f));
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        IOException e = assertThrows(IOException.class, () -> SharedSecret.load(f));
        assertTrue(e.getMessage().contains("readable only by its owner"), e.getMessage());
    }
}
