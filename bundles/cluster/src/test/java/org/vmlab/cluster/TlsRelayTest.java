package org.vmlab.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.transport.Frame;
import org.vmlab.transport.FrameChannel;
import org.vmlab.transport.SharedSecret;
import org.vmlab.transport.TlsContext;

/**
 * The relay of node A on loopback, with a stand-in for A's cluster engine (an echo server) and for
 * the relay of member B: a peer with the secret and a pinned key reaches A's engine and nothing
 * else; a peer without TLS or with the wrong secret is refused; what A's engine sends to B goes
 * through B's relay.
 */
@Timeout(60)
class TlsRelayTest {
    private static final SharedSecret SECRET = SharedSecret.of("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8));
    private static final Duration T = Duration.ofSeconds(5);
    private static final int OFFSET = 100;

    @TempDir
    static Path dir;
    static ClusterSettings.Tls tls;
    static TlsContext keys;

    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeAll
    static void keystore() throws Exception {
        Path pw = Files.createFile(dir.resolve("password"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(pw, "relay-test-password\n");
        Path ks = dir.resolve("node.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=node",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", ks.toString(),
                "-storepass", "relay-test-password").redirectErrorStream(true).start();
        p.getInputStream().transferTo(OutputStream.nullOutputStream());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool made a keystore");
        tls = new ClusterSettings.Tls(OFFSET, ks, pw);
        keys = TlsContext.load(ks, pw);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    /** A port free on loopback, with its relay port (port + OFFSET) free too. */
    private static int freePort() throws IOException {
        for (int i = 0; i < 50; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                 ServerSocket r = new ServerSocket()) {
                if (s.getLocalPort() + OFFSET <= 65535) {
                    try {
                        r.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort() + OFFSET));
                        return s.getLocalPort();
                    } catch (IOException taken) {
                        // try another
                    }
                }
            }
        }
        throw new IOException("no free port pair");
    }

    /** Node A's engine stand-in: echoes every byte on 127.0.0.1:port. */
    private void echoServer(int port) throws IOException {
        ServerSocket server = new ServerSocket(port, 5, InetAddress.getLoopbackAddress());
        open.add(server);
        daemon(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.getInputStream().transferTo(s.getOutputStream());
                } catch (IOException e) {
                    // next
                }
            }
        });
    }

    private static void daemon(Runnable r) {
        Thread t = new Thread(r, "relay-test");
        t.setDaemon(true);
        t.start();
    }

    private record Node(TlsRelay relay, int port, int peerPort) {
    }

    private Node relayOfA() throws IOException {
        int pa = freePort();
        int pb = freePort();
        Endpoint a = new Endpoint("127.0.0.1", pa);
        ClusterSettings s = new ClusterSettings("test", "a", a, List.of(a, new Endpoint("127.0.0.1", pb)),
                Path.of("unused"), 2, 1, 3, 1000, 4, 1L << 30, tls);
        TlsRelay relay = TlsRelay.start(s, SECRET);
        open.add(relay);
        return new Node(relay, pa, pb);
    }

    private static FrameChannel link(int relayPort, SharedSecret secret, TlsContext tls) throws IOException {
        return FrameChannel.connect(new InetSocketAddress("127.0.0.1", relayPort), secret, T, null, tls);
    }

    private static byte[] port(int p) {
        return ByteBuffer.allocate(4).putInt(p).array();
    }

    @Test
    void anAuthenticatedPeerReachesTheEngineAndOnlyIt() throws Exception {
        Node a = relayOfA();
        echoServer(a.port());
        try (FrameChannel l = link(a.port() + OFFSET, SECRET, keys)) {
            l.send(TlsRelay.OPEN, port(a.port()));
            l.send(TlsRelay.DATA, "member hello".getBytes(StandardCharsets.UTF_8));
            Frame f = l.receive();
            while (f.type() == TlsRelay.KEEPALIVE) {
                f = l.receive();
            }
            assertEquals(TlsRelay.DATA, f.type());
            assertArrayEquals("member hello".getBytes(StandardCharsets.UTF_8), f.bytes());
        }
        // Asking for any other port than A's engine: the link is dropped.
        try (FrameChannel l = link(a.port() + OFFSET, SECRET, keys)) {
            l.send(TlsRelay.OPEN, port(a.peerPort()));
            assertThrows(IOException.class, l::receive);
        }
    }

    @Test
    void aPeerWithoutTlsOrWithTheWrongSecretIsRefused() throws Exception {
        Node a = relayOfA();
        echoServer(a.port());
        SharedSecret wrong = SharedSecret.of("fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.UTF_8));
        assertThrows(IOException.class, () -> link(a.port() + OFFSET, wrong, keys).close());
        assertThrows(IOException.class, () -> link(a.port() + OFFSET, SECRET, null).close());
        // A raw socket speaking the engine's own protocol gets no engine bytes back.
        try (Socket raw = new Socket("127.0.0.1", a.port() + OFFSET)) {
            raw.setSoTimeout(15_000);
            raw.getOutputStream().write(new byte[] {'H', 'Z', 'C', 0, 0, 0, 1});
            byte[] back = raw.getInputStream().readNBytes(4096);
            assertTrue(back.length < 64, "at most a TLS alert: " + back.length + " bytes");
        }
    }

    @Test
    void whatTheEngineSendsToAMemberGoesThroughThatMembersRelay() throws Exception {
        Node a = relayOfA();
        // B's relay stand-in: authenticates like a relay, checks OPEN names B's engine, echoes DATA.
        ServerSocket b = FrameChannel.serverSocket();
        open.add(b);
        b.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), a.peerPort() + OFFSET));
        List<Integer> opened = new CopyOnWriteArrayList<>();
        daemon(() -> {
            try (FrameChannel l = FrameChannel.accept(b.accept(), SECRET, T, keys)) {
                Frame o = l.receive(4);
                opened.add(o.type() == TlsRelay.OPEN ? o.payload().getInt() : -1);
                for (Frame f = l.receive(); f.type() != TlsRelay.CLOSE; f = l.receive()) {
                    if (f.type() == TlsRelay.DATA) {
                        l.send(TlsRelay.DATA, f.bytes());
                    }
                }
            } catch (IOException e) {
                // test over
            }
        });
        try (Socket engine = new Socket()) {
            engine.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), a.peerPort()), 5000);
            engine.setSoTimeout(10_000);
            engine.getOutputStream().write("to b".getBytes(StandardCharsets.UTF_8));
            InputStream in = engine.getInputStream();
            assertArrayEquals("to b".getBytes(StandardCharsets.UTF_8), in.readNBytes(4));
        }
        assertEquals(List.of(a.peerPort()), opened, "the link asked B's relay for B's engine");
    }

    @Test
    void membersBehindTheRelayNeedDifferentPorts() {
        Endpoint a = new Endpoint("10.0.0.1", 5701);
        Endpoint b = new Endpoint("10.0.0.2", 5701);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ClusterSettings("test",
                "a", a, List.of(a, b), Path.of("unused"), 2, 1, 3, 1000, 4, 1L << 30, tls));
        assertTrue(e.getMessage().contains("different ports"), e.getMessage());
        new ClusterSettings("test", "a", a, List.of(a, b), Path.of("unused"), 2, 1, 3, 1000, 4, 1L << 30, null);
    }

    @Test
    void closingFreesEveryPort() throws Exception {
        Node a = relayOfA();
        a.relay().close();
        // A socket closed while a thread blocks in accept() is released once that thread wakes.
        for (int p : new int[] {a.port() + OFFSET, a.peerPort()}) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (true) {
                try (ServerSocket s = new ServerSocket()) {
                    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
                    break;
                } catch (IOException inUse) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("port " + p + " still taken 2 s after close", inUse);
                    }
                    Thread.sleep(20);
                }
            }
        }
    }
}
