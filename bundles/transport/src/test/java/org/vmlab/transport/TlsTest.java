package org.vmlab.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.DataRate;

@Timeout(60)
class TlsTest {
    static final SharedSecret SECRET = SharedSecret.of("0123456789abcdef0123456789abcdef".getBytes());
    static final Duration T = Duration.ofSeconds(3);

    @TempDir
    static Path dir;
    static TlsContext node;
    static TlsContext stranger;

    final List<String> refusals = new CopyOnWriteArrayList<>();
    ServerSocket server;

    /** A throwaway PKCS12 keystore made by the JDK's keytool, and its owner-only password file. */
    record Keystore(Path keystore, Path passwordFile) {
        TlsContext load() throws IOException {
            return TlsContext.load(keystore, passwordFile);
        }
    }

    static Keystore keystore(Path dir, String name) throws Exception {
        byte[] raw = new byte[16];
        new SecureRandom().nextBytes(raw);
        String password = HexFormat.of().formatHex(raw);
        Path ks = dir.resolve(name + ".p12");
        Path pw = dir.resolve(name + ".password");
        Files.writeString(Files.createFile(pw, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------"))), password + "\n");
        keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=" + name, "-validity", "2", "-storetype", "PKCS12",
                "-keystore", ks.toString(), "-storepass", password, "-keypass", password);
        return new Keystore(ks, pw);
    }

    static void keytool(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "keytool finished");
        assertEquals(0, p.exitValue(), "keytool: " + out);
    }

    @BeforeAll
    static void keys() throws Exception {
        node = keystore(dir, "node").load();
        stranger = keystore(dir, "stranger").load();
    }

    /** A receiver-like server: authenticates (TLS if given) and echoes type-1 frames. */
    InetSocketAddress serve(TlsContext tls) throws IOException {
        server = FrameChannel.serverSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    return;
                }
                Thread h = new Thread(() -> {
                    FrameChannel ch;
                    try {
                        ch = FrameChannel.accept(s, SECRET, T, tls);
                    } catch (IOException e) {
                        refusals.add(e.getMessage());
                        return;
                    }
                    try (ch) {
                        while (true) {
                            Frame f = ch.receive();
                            if (f.type() == 1) {
                                ch.send(1, f.bytes());
                            }
                        }
                    } catch (IOException e) {
                        // peer gone
                    }
                });
                h.setDaemon(true);
                h.start();
            }
        });
        t.setDaemon(true);
        t.start();
        return new InetSocketAddress("127.0.0.1", server.getLocalPort());
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    static void echo(FrameChannel ch) throws IOException {
        ch.send(1, "hello".getBytes());
        Frame f = ch.receive();
        assertEquals(1, f.type());
        assertArrayEquals("hello".getBytes(), f.bytes());
    }

    String awaitRefusal() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 3000;
        while (refusals.isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertFalse(refusals.isEmpty(), "the server logged a refusal");
        return refusals.remove(0);
    }

    @Test
    void handshakeBytesAreCountedExactlyOnPlainLinks() throws Exception {
        InetSocketAddress a = serve(null);
        try (FrameChannel ch = FrameChannel.connect(a, SECRET, T, null)) {
            // magic 4 + version 2 + nonce 32, then the client's MAC 32
            assertEquals(70, ch.bytesSent());
            // magic 4 + version 2 + status 1 + nonce 32 + MAC 32 + final status 1
            assertEquals(72, ch.bytesReceived());
            echo(ch);
            assertEquals(70 + FrameChannel.HEADER + 5, ch.bytesSent());
            assertFalse(ch.isTls());
        }
    }

    @Test
    void tlsLinkAuthenticatesBothWaysAndCountsTlsBytes() throws Exception {
        InetSocketAddress a = serve(node);
        try (FrameChannel ch = FrameChannel.connect(a, SECRET, T, null, node)) {
            assertTrue(ch.isTls());
            long handshake = ch.bytesSent();
            assertTrue(handshake > 70 + 300, "TLS handshake (client hello, certificate, finished) counted: " + handshake);
            echo(ch);
            long frame = ch.bytesSent() - handshake;
            assertTrue(frame > FrameChannel.HEADER + 5 && frame < 100, "one TLS record around a 10-byte frame: " + frame);
            byte[] big = new byte[1 << 20];
            long before = ch.bytesSent();
            ch.send(2, big);
            long sent = ch.bytesSent() - before;
            double overhead = (sent - big.length - FrameChannel.HEADER) / (double) big.length;
            assertTrue(overhead > 0 && overhead < 0.01, "TLS record overhead on 1 MiB: " + overhead);
            System.out.printf("TLS: handshake %d bytes sent by the client, record overhead %.3f%%%n", handshake, overhead * 100);
        }
        assertTrue(refusals.isEmpty(), refusals.toString());
    }

    @Test
    void plainPeerAtATlsReceiverIsRefusedAndTheReceiverKeepsServing() throws Exception {
        InetSocketAddress a = serve(node);
        TransportException e = assertThrows(TransportException.class, () -> FrameChannel.connect(a, SECRET, T, null));
        assertTrue(e.getMessage().contains("TLS"), e.getMessage());
        String refusal = awaitRefusal();
        assertTrue(refusal.contains("TLS handshake with peer") && refusal.contains("without TLS"), refusal);
        try (FrameChannel ch = FrameChannel.connect(a, SECRET, T, null, node)) {
            echo(ch);
        }
    }

    @Test
    void tlsPeerAtAPlainReceiverIsRefusedAndTheReceiverKeepsServing() throws Exception {
        InetSocketAddress a = serve(null);
        TransportException e = assertThrows(TransportException.class, () -> FrameChannel.connect(a, SECRET, T, null, node));
        assertTrue(e.getMessage().contains("TLS handshake with the receiver") && e.getMessage().contains("TLS off"),
                e.getMessage());
        String refusal = awaitRefusal();
        assertTrue(refusal.contains("the peer uses TLS, this node does not"), refusal);
        try (FrameChannel ch = FrameChannel.connect(a, SECRET, T, null)) {
            echo(ch);
        }
    }

    @Test
    void certificateNotPinnedIsRefusedBothWays() throws Exception {
        InetSocketAddress a = serve(node);
        TransportException e = assertThrows(TransportException.class,
                () -> FrameChannel.connect(a, SECRET, T, null, stranger));
        assertTrue(e.getMessage().contains("TLS handshake"), e.getMessage());
        assertTrue(awaitRefusal().contains("TLS handshake with peer"));
        server.close();
        InetSocketAddress b = serve(stranger);
        e = assertThrows(TransportException.class, () -> FrameChannel.connect(b, SECRET, T, null, node));
        assertTrue(e.getMessage().contains("TLS handshake"), e.getMessage());
        try (FrameChannel ch = FrameChannel.connect(b, SECRET, T, null, stranger)) {
            echo(ch);
        }
    }

    @Test
    void wrongSecretIsStillRefusedInsideTls() throws Exception {
        InetSocketAddress a = serve(node);
        SharedSecret wrong = SharedSecret.of("ffffffffffffffffffffffffffffffff".getBytes());
        TransportException e = assertThrows(TransportException.class,
                () -> FrameChannel.connect(a, wrong, T, null, node));
        assertTrue(e.getMessage().contains("authentication"), e.getMessage());
        // The client checks the server's proof first and hangs up; the server sees that inside TLS.
        String refusal = awaitRefusal();
        assertTrue(refusal.contains("closed the connection during the handshake") && !refusal.contains("TLS"), refusal);
    }

    @Test
    void silentTlsReceiverIsDetectedWithinTheTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            long t0 = System.nanoTime();
            TransportException e = assertThrows(TransportException.class, () -> FrameChannel.connect(
                    new InetSocketAddress("127.0.0.1", silent.getLocalPort()), SECRET, Duration.ofMillis(500), null, node));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 400 && ms < 2000, "detected after " + ms + " ms: " + e.getMessage());
            assertTrue(e.getMessage().contains("did not answer"), e.getMessage());
        }
    }

    @Test
    void rateLimitOverTlsIsAccurateToTwoPercent() throws Exception {
        InetSocketAddress a = serve(node);
        // Well below what TLS manages on a busy 2-core machine, so the limiter is what is measured.
        long bits = 20_000_000L;
        RateLimiter limiter = new RateLimiter(new DataRate(bits));
        long total = 6L << 20;
        byte[] chunk = new byte[256 * 1024];
        try (FrameChannel warm = FrameChannel.connect(a, SECRET, T, null, node)) {
            // A cold JIT encrypts too slowly to keep up with even this rate.
            for (int i = 0; i < 256; i++) {
                warm.send(2, chunk);
            }
            warm.send(1, new byte[1]);
            warm.receive();
        }
        try (FrameChannel x = FrameChannel.connect(a, SECRET, T, limiter, node);
             FrameChannel y = FrameChannel.connect(a, SECRET, T, limiter, node)) {
            long before = x.bytesSent() + y.bytesSent();
            long t0 = System.nanoTime();
            Thread ty = new Thread(() -> {
                try {
                    for (long sent = 0; sent < total / 2; sent += chunk.length) {
                        y.send(2, chunk);
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            ty.start();
            for (long sent = 0; sent < total / 2; sent += chunk.length) {
                x.send(2, chunk);
            }
            ty.join();
            double seconds = (System.nanoTime() - t0) / 1e9;
            long bytes = x.bytesSent() + y.bytesSent() - before;
            assertTrue(bytes > total, "TLS overhead counted: " + bytes + " > " + total);
            double expected = Math.max(0, bytes - limiter.burstBytes()) * 8.0 / bits;
            System.out.printf("rate limit over TLS: %d bytes in %.3f s = %.1f Mbit/s (limit %.1f), expected %.3f s%n",
                    bytes, seconds, bytes * 8 / seconds / 1e6, bits / 1e6, expected);
            assertEquals(expected, seconds, expected * 0.02 + 0.02);
        }
    }

    @Test
    void keystoreProblemsAreOneClearSentence(@TempDir Path d) throws Exception {
        Keystore k = keystore(d, "k");
        Files.setPosixFilePermissions(k.passwordFile(), PosixFilePermissions.fromString("rw-r--r--"));
        IOException e = assertThrows(IOException.class, k::load);
        assertTrue(e.getMessage().contains("TLS password file") && e.getMessage().contains("readable only by its owner"),
                e.getMessage());
        Files.setPosixFilePermissions(k.passwordFile(), PosixFilePermissions.fromString("rw-------"));
        k.load();
        Path wrong = d.resolve("wrong.password");
        Files.writeString(Files.createFile(wrong, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------"))), "not-the-password");
        e = assertThrows(IOException.class, () -> TlsContext.load(k.keystore(), wrong));
        assertTrue(e.getMessage().contains("cannot open TLS keystore"), e.getMessage());
        e = assertThrows(IOException.class, () -> TlsContext.load(d.resolve("missing.p12"), k.passwordFile()));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        e = assertThrows(IOException.class, () -> TlsContext.load(k.keystore(), d.resolve("missing.password")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        // a keystore with trusted certificates only cannot identify this node
        String pw = Files.readString(k.passwordFile()).trim();
        Path cert = d.resolve("k.cer");
        keytool("-exportcert", "-alias", "k", "-keystore", k.keystore().toString(), "-storepass", pw,
                "-file", cert.toString());
        Path trustOnly = d.resolve("trust.p12");
        keytool("-importcert", "-noprompt", "-alias", "peer", "-file", cert.toString(), "-storetype", "PKCS12",
                "-keystore", trustOnly.toString(), "-storepass", pw);
        e = assertThrows(IOException.class, () -> TlsContext.load(trustOnly, k.passwordFile()));
        assertTrue(e.getMessage().contains("holds no private key"), e.getMessage());
    }

    @Test
    void aPeerCertificateImportedAsTrustedIsPinned(@TempDir Path d) throws Exception {
        // Two nodes with their own keys, each importing the other's certificate.
        Keystore a = keystore(d, "a");
        Keystore b = keystore(d, "b");
        String pa = Files.readString(a.passwordFile()).trim();
        String pb = Files.readString(b.passwordFile()).trim();
        keytool("-exportcert", "-alias", "a", "-keystore", a.keystore().toString(), "-storepass", pa, "-file", d.resolve("a.cer").toString());
        keytool("-exportcert", "-alias", "b", "-keystore", b.keystore().toString(), "-storepass", pb, "-file", d.resolve("b.cer").toString());
        keytool("-importcert", "-noprompt", "-alias", "peer-b", "-file", d.resolve("b.cer").toString(), "-keystore", a.keystore().toString(), "-storepass", pa);
        keytool("-importcert", "-noprompt", "-alias", "peer-a", "-file", d.resolve("a.cer").toString(), "-keystore", b.keystore().toString(), "-storepass", pb);
        TlsContext ta = a.load();
        assertEquals(2, ta.pinnedSubjects().size(), ta.pinnedSubjects().toString());
        InetSocketAddress addr = serve(ta);
        try (FrameChannel ch = FrameChannel.connect(addr, SECRET, T, null, b.load())) {
            echo(ch);
        }
    }
}
