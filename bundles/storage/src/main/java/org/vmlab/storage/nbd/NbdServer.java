package org.vmlab.storage.nbd;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.storage.nbd.NbdMessages.ProtocolException;

/**
 * An NBD server (fixed newstyle, no TLS) with one thread per connection, up to a limit. A client
 * that breaks the protocol or vanishes ends only its own connection. Binds loopback unless told
 * otherwise. Exports can be added and removed while it runs; the first added is the default
 * (the empty export name).
 */
public final class NbdServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NbdServer.class);

    private final ServerSocket socket;
    private final int maxConnections;
    private final int handshakeTimeoutMillis;
    private final Map<String, NbdExport> exports = new ConcurrentHashMap<>();
    private final List<String> order = new CopyOnWriteArrayList<>();
    private final Set<Socket> clients = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final NbdServerStats stats = new NbdServerStats();
    private final Thread acceptor;
    private volatile boolean closed;

    private NbdServer(ServerSocket socket, int maxConnections, int handshakeTimeoutMillis) {
        this.socket = socket;
        this.maxConnections = maxConnections;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        this.acceptor = new Thread(this::acceptLoop, "vmlab-nbd-accept-" + socket.getLocalPort());
        this.acceptor.setDaemon(true);
    }

    /** Listens on {@code host:port} (port 0: any free one) and starts accepting. */
    public static NbdServer start(String host, int port, int maxConnections, int handshakeTimeoutMillis)
            throws IOException {
        ServerSocket ss = new ServerSocket();
        ss.setReuseAddress(true);
        ss.bind(new InetSocketAddress(InetAddress.getByName(host), port), 64);
        NbdServer s = new NbdServer(ss, maxConnections, handshakeTimeoutMillis);
        s.acceptor.start();
        return s;
    }

    public void addExport(NbdExport e) {
        if (exports.putIfAbsent(e.name(), e) != null) {
            throw new IllegalArgumentException("export '" + e.name() + "' exists already");
        }
        order.add(e.name());
    }

    public void removeExport(String name) {
        exports.remove(name);
        order.remove(name);
    }

    public List<NbdExport> exports() {
        List<NbdExport> l = new ArrayList<>();
        for (String n : order) {
            NbdExport e = exports.get(n);
            if (e != null) {
                l.add(e);
            }
        }
        return l;
    }

    NbdExport lookup(String name) {
        if (name.isEmpty()) {
            List<NbdExport> l = exports();
            return l.isEmpty() ? null : l.get(0);
        }
        return exports.get(name);
    }

    public int port() {
        return socket.getLocalPort();
    }

    public InetAddress address() {
        return socket.getInetAddress();
    }

    public NbdServerStats.Snapshot stats() {
        return stats.snapshot();
    }

    /** Connections being served now (each has one thread). */
    public int activeConnections() {
        return threads.size();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket c;
            try {
                c = socket.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("NBD server on port {} stopped accepting: {}", port(), e.toString());
                }
                return;
            }
            if (threads.size() >= maxConnections) {
                LOG.warn("NBD server: refusing {} (already {} connections)", c.getRemoteSocketAddress(), maxConnections);
                closeQuietly(c);
                continue;
            }
            clients.add(c);
            Thread t = new Thread(() -> serve(c), "vmlab-nbd-" + c.getRemoteSocketAddress());
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void serve(Socket c) {
        stats.connected();
        try (c) {
            c.setTcpNoDelay(true);
            c.setSoTimeout(handshakeTimeoutMillis);
            DataInputStream in = new DataInputStream(new BufferedInputStream(c.getInputStream(), 256 << 10));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(c.getOutputStream(), 256 << 10));
            Negotiated n = new ServerHandshake(in, out, this::lookup, this::exports).run();
            if (n == null) {
                return;
            }
            c.setSoTimeout(0); // an idle client that negotiated may stay, like a mounted disk
            new ServerTransmission(in, out, n, stats).run();
        } catch (ProtocolException e) {
            stats.error();
            LOG.debug("NBD client {} broke the protocol: {}", c.getRemoteSocketAddress(), e.getMessage());
        } catch (IOException e) {
            if (!closed && !(e instanceof SocketException) && !(e instanceof java.io.EOFException)) {
                LOG.debug("NBD client {}: {}", c.getRemoteSocketAddress(), e.toString());
            }
        } catch (RuntimeException e) {
            stats.error();
            LOG.warn("NBD client {}: {}", c.getRemoteSocketAddress(), e.toString(), e);
        } finally {
            clients.remove(c);
            threads.remove(Thread.currentThread());
        }
    }

    /** Stops accepting, drops every connection and waits (bounded) for their threads. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(socket);
        for (Socket c : clients) {
            closeQuietly(c);
        }
        try {
            acceptor.join(2000);
            for (Thread t : threads) {
                t.join(2000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing anyway
        }
    }
}
