package org.vmlab.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.transport.Frame;
import org.vmlab.transport.FrameChannel;
import org.vmlab.transport.SharedSecret;
import org.vmlab.transport.TlsContext;

/**
 * Carries the cluster engine's traffic in TLS 1.3, since Hazelcast's open-source edition has
 * neither TLS nor member authentication. The engine of every node listens on 127.0.0.1 only, at
 * its member port; every node knows each member by {@code 127.0.0.1:<its port>}. For each other
 * member this node listens on that loopback address and forwards what it accepts to the member's
 * relay ({@code host:port+offset}) over vmlab's data-plane link: TLS with pinned certificates and
 * the HMAC handshake with the cluster secret. A relay forwards only to its own engine. So the
 * engine is never on the network, and nothing reaches it without the secret and a pinned key.
 * Each node needs its own loopback: its own host or network namespace.
 *
 * <p>The link's protocol, after the handshake: the client's first frame, OPEN, names the engine
 * port it wants; then DATA frames carry bytes each way, CLOSE ends a direction, and KEEPALIVE
 * frames keep an idle link inside the data plane's silence timeout.
 */
final class TlsRelay implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TlsRelay.class);
    static final int OPEN = 1;
    static final int DATA = 2;
    static final int CLOSE = 3;
    static final int KEEPALIVE = 4;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int CHUNK = 64 * 1024;

    private final SharedSecret secret;
    private final TlsContext tls;
    private final int enginePort;
    private final List<ServerSocket> servers = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<FrameChannel> links = new CopyOnWriteArrayList<>();
    private final ExecutorService threads;
    private final ScheduledExecutorService keepalive;
    private volatile boolean closed;

    private TlsRelay(SharedSecret secret, TlsContext tls, int enginePort) {
        this.secret = secret;
        this.tls = tls;
        this.enginePort = enginePort;
        AtomicInteger n = new AtomicInteger();
        threads = Executors.newCachedThreadPool(r -> daemon(r, "vmlab-cluster-relay-" + n.incrementAndGet()));
        keepalive = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "vmlab-cluster-relay-keepalive"));
    }

    /** Starts the relay of this node and a forwarder for each other member. */
    static TlsRelay start(ClusterSettings s, SharedSecret secret) throws IOException {
        ClusterSettings.Tls t = s.tls();
        TlsRelay relay = new TlsRelay(secret, TlsContext.load(t.keystore(), t.passwordFile()), s.member().port());
        try {
            Endpoint own = t.relayOf(s.member());
            relay.listen(new InetSocketAddress(InetAddress.getByName(own.host()), own.port()), relay::serve, true);
            for (Endpoint m : s.members()) {
                if (!m.equals(s.member())) {
                    Endpoint loop = s.engineAddress(m);
                    relay.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), loop.port()),
                            local -> relay.forward(local, m, t.relayOf(m)), false);
                }
            }
            relay.keepalive.scheduleWithFixedDelay(relay::keepLinksAlive, 1, 1, TimeUnit.SECONDS);
            LOG.info("cluster TLS relay on {}, forwarding to the relays of {}", own, s.members());
            return relay;
        } catch (IOException | RuntimeException e) {
            relay.close();
            throw e;
        }
    }

    private interface Handler {
        void handle(Socket s) throws IOException;
    }

    private void listen(InetSocketAddress at, Handler handler, boolean tlsMetered) throws IOException {
        ServerSocket server = tlsMetered ? FrameChannel.serverSocket() : new ServerSocket();
        server.setReuseAddress(true);
        try {
            server.bind(at, 50);
        } catch (IOException e) {
            server.close();
            throw new IOException("cluster TLS relay cannot listen on " + at + ": " + e.getMessage(), e);
        }
        servers.add(server);
        threads.execute(() -> {
            while (!closed) {
                try {
                    Socket s = server.accept();
                    threads.execute(() -> {
                        try {
                            handler.handle(s);
                        } catch (IOException | RuntimeException e) {
                            if (!closed) {
                                LOG.warn("cluster TLS relay: connection from {} refused or broken: {}",
                                        s.getRemoteSocketAddress(), e.getMessage());
                            }
                            closeQuietly(s);
                        }
                    });
                } catch (IOException e) {
                    if (!closed) {
                        LOG.warn("cluster TLS relay stopped accepting on {}: {}", at, e.getMessage());
                    }
                    return;
                }
            }
        });
    }

    /** A peer's relay link: authenticate, check it asks for our engine, then pump. */
    private void serve(Socket s) throws IOException {
        FrameChannel link = FrameChannel.accept(s, secret, TIMEOUT, tls);
        Frame open = link.receive(4);
        int port = open.type() == OPEN && open.length() == 4 ? open.payload().getInt() : -1;
        if (port != enginePort) {
            link.close();
            throw new IOException("peer asked for port " + port + ", not this node's cluster engine (" + enginePort + ")");
        }
        Socket engine = new Socket();
        engine.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), enginePort), (int) TIMEOUT.toMillis());
        pump(engine, link);
    }

    /** The local engine connects to member {@code m}: authenticate to its relay, ask for its engine, pump. */
    private void forward(Socket local, Endpoint m, Endpoint relayAt) throws IOException {
        FrameChannel link;
        try {
            link = FrameChannel.connect(new InetSocketAddress(relayAt.host(), relayAt.port()), secret, TIMEOUT, null, tls);
        } catch (IOException e) {
            closeQuietly(local);
            if (e.getCause() instanceof ConnectException || e.getCause() instanceof NoRouteToHostException
                    || e.getCause() instanceof SocketTimeoutException) {
                // The engine retries an absent member every second and logs its departure itself.
                LOG.debug("cluster TLS relay: member {} not reachable at {}: {}", m, relayAt, e.getMessage());
                return;
            }
            throw new IOException("member " + m + " (relay " + relayAt + ") refused this node: "
                    + e.getMessage(), e);
        }
        link.send(OPEN, ByteBuffer.allocate(4).putInt(m.port()).array());
        pump(local, link);
    }

    private void pump(Socket plain, FrameChannel link) {
        sockets.add(plain);
        links.add(link);
        threads.execute(() -> {
            byte[] buf = new byte[CHUNK];
            try (InputStream in = plain.getInputStream()) {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    link.send(DATA, buf, 0, n);
                }
                link.send(CLOSE);
            } catch (IOException e) {
                link.close();
            }
        });
        try (OutputStream out = plain.getOutputStream()) {
            while (true) {
                Frame f = link.receive();
                if (f.type() == DATA) {
                    out.write(f.bytes());
                    out.flush();
                } else if (f.type() == CLOSE) {
                    break;
                } else if (f.type() != KEEPALIVE) {
                    throw new IOException("unexpected frame type " + f.type());
                }
            }
        } catch (IOException e) {
            // the link or the engine went away: close both ends below
        } finally {
            link.close();
            closeQuietly(plain);
            sockets.remove(plain);
            links.remove(link);
        }
    }

    private void keepLinksAlive() {
        long idle = TIMEOUT.toNanos() / 4;
        for (FrameChannel l : links) {
            if (System.nanoTime() - l.lastSendNanos() > idle) {
                try {
                    l.send(KEEPALIVE);
                } catch (IOException e) {
                    l.close();
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        servers.forEach(TlsRelay::closeQuietly);
        links.forEach(FrameChannel::close);
        sockets.forEach(TlsRelay::closeQuietly);
        keepalive.shutdownNow();
        threads.shutdownNow();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing anyway
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
