package org.vmlab.transport;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

/**
 * One authenticated, framed TCP connection. A frame is a type byte, a 4-byte big-endian payload
 * length (at most {@link #MAX_FRAME}) and the payload.
 *
 * <p>Both ends first prove they know the shared secret ({@link Handshake}, protocol {@link #VERSION}).
 *
 * <p>With a {@link TlsContext} the connection is TLS 1.3 with pinned certificates on both ends,
 * and the handshake above runs inside it.
 *
 * <p>Every byte written to the socket passes the link's {@link RateLimiter} and counts in
 * {@link #bytesSent()}: the handshake, frame headers and payloads and, on sockets this class
 * creates (clients, and servers from {@link #serverSocket()}), TLS's own handshake and record
 * overhead too, since the TLS layer writes through the metered socket.
 *
 * <p>Every read has a timeout; a write that makes no progress for the timeout closes the socket.
 * {@link #send} is thread-safe; {@link #receive} must be called by one thread at a time.
 */
public final class FrameChannel implements AutoCloseable {
    /**
     * Protocol version spoken by this build (2: LZ4 page records replace version 1's deflate; 3:
     * sessions that tunnel a hypervisor's own migration stream, which a version 2 receiver would
     * only drop without a reason, so the handshake refuses the mismatch instead; 4: the postcopy
     * switch carries its missing-page bitmap LZ4-compressed, and the destination's POSTCOPY_READY
     * says how long its verification hashing kept the guest paused).
     */
    public static final int VERSION = 4;
    /** The largest payload accepted or sent. */
    public static final int MAX_FRAME = 8 << 20;
    /** Bytes of a frame header. */
    public static final int HEADER = 5;

    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vmlab-transport-watchdog");
        t.setDaemon(true);
        return t;
    });

    /** The TCP socket (closing it ends the connection at once, TLS or not). */
    private final Socket socket;
    /** What frames are read from and written to: the TCP socket, or the TLS socket over it. */
    private final Socket io;
    private final Wire wire;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final long timeoutNanos;
    private volatile long lastSendNanos = System.nanoTime();
    private volatile String closeReason;
    private final ScheduledFuture<?> watchdog;
    /** What {@link #receiveReusing} reads into (receive is single-threaded). */
    private byte[] received = new byte[0];

    /**
     * @param peer where a client connected to; {@code null} on the server side
     */
    private FrameChannel(Socket socket, RateLimiter limiter, Duration timeout, TlsContext tls, InetSocketAddress peer)
            throws IOException {
        this.socket = socket;
        this.wire = new Wire(limiter);
        this.timeoutNanos = timeout.toNanos();
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(toMillis(timeout));
        boolean metered = socket instanceof MeteredSocket;
        if (metered) {
            ((MeteredSocket) socket).attach(wire);
        }
        io = tls == null ? socket : peer != null ? tls.client(socket, peer) : tls.server(socket);
        InputStream is = io.getInputStream();
        OutputStream os = io.getOutputStream();
        if (!metered) {
            // An accepted socket from elsewhere: count what goes through TLS, not TLS itself.
            is = wire.in(is);
            os = wire.out(os);
        }
        in = new DataInputStream(new BufferedInputStream(is, 64 * 1024));
        out = new DataOutputStream(new BufferedOutputStream(os, 64 * 1024));
        long period = Math.max(50, Math.min(500, timeout.toMillis() / 4));
        watchdog = WATCHDOG.scheduleWithFixedDelay(this::checkStuckWrite, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * An unbound server socket whose accepted sockets count TLS bytes too; bind it, then hand
     * what it accepts to {@link #accept}.
     */
    public static ServerSocket serverSocket() throws IOException {
        return new ServerSocket() {
            @Override
            public Socket accept() throws IOException {
                if (isClosed()) {
                    throw new SocketException("Socket is closed");
                }
                if (!isBound()) {
                    throw new SocketException("Socket is not bound yet");
                }
                Socket s = new MeteredSocket();
                implAccept(s);
                return s;
            }
        };
    }

    private static int toMillis(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be > 0: " + timeout);
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
    }

    /**
     * Connects and authenticates as a client.
     *
     * @param limiter the link's rate limiter (shared by its streams), or {@code null} for none
     * @throws TransportException if the server refuses, fails authentication or stays silent
     */
    public static FrameChannel connect(InetSocketAddress address, SharedSecret secret, Duration timeout,
                                       RateLimiter limiter) throws IOException {
        return connect(address, secret, timeout, limiter, null);
    }

    /**
     * Connects and authenticates as a client, over TLS if {@code tls} is given.
     *
     * @param limiter the link's rate limiter (shared by its streams), or {@code null} for none
     * @param tls     this node's TLS keys and pinned peers, or {@code null} for plain TCP
     * @throws TransportException if the TLS handshake fails, the server refuses, fails
     *                            authentication or stays silent
     */
    public static FrameChannel connect(InetSocketAddress address, SharedSecret secret, Duration timeout,
                                       RateLimiter limiter, TlsContext tls) throws IOException {
        return connect(address, secret, timeout, limiter, tls, VERSION);
    }

    /** For tests: connects claiming another protocol version. */
    static FrameChannel connectWithVersion(InetSocketAddress address, SharedSecret secret, Duration timeout,
                                           int version) throws IOException {
        return connect(address, secret, timeout, null, null, version);
    }

    private static FrameChannel connect(InetSocketAddress address, SharedSecret secret, Duration timeout,
                                        RateLimiter limiter, TlsContext tls, int version) throws IOException {
        Objects.requireNonNull(secret, "secret");
        Socket s = new MeteredSocket();
        try {
            s.connect(address, toMillis(timeout));
            FrameChannel ch = new FrameChannel(s, limiter, timeout, tls, address);
            try {
                ch.startTls("the receiver " + address,
                        " (is TLS off at the receiver, or is this node's certificate not pinned there?)");
                new Handshake(ch.in, ch.out, s.getRemoteSocketAddress()).asClient(secret, version);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            return ch;
        } catch (SocketTimeoutException e) {
            s.close();
            throw new TransportException(address + " did not answer within " + timeout.toMillis() + " ms", e);
        } catch (java.net.UnknownHostException | java.nio.channels.UnresolvedAddressException e) {
            s.close();
            throw new TransportException("cannot reach " + hostPort(address) + ": unknown host '"
                    + address.getHostString() + "'", e);
        } catch (java.net.ConnectException e) {
            s.close();
            throw new TransportException("cannot reach " + hostPort(address) + ": connection refused"
                    + " (is a vmlab receiver listening there?)", e);
        } catch (java.net.NoRouteToHostException e) {
            s.close();
            throw new TransportException("cannot reach " + hostPort(address) + ": no route to host", e);
        } catch (EOFException e) {
            s.close();
            throw new TransportException(address + " closed the connection during the handshake"
                    + (tls == null ? " (does the receiver require TLS?)" : ""), e);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    /** Runs the TLS handshake now (if this is a TLS channel), so its failures get a clear reason. */
    private void startTls(String peer, String hint) throws IOException {
        if (io instanceof SSLSocket ssl) {
            try {
                ssl.startHandshake();
            } catch (SSLException e) {
                if (e.getCause() instanceof SocketTimeoutException t) {
                    throw t;
                }
                throw new TransportException("TLS handshake with " + peer + " failed: " + e.getMessage() + hint, e);
            }
        }
    }

    /**
     * Authenticates an accepted socket as the server. On failure the peer is told why (if it got
     * as far as a well-formed hello), the socket is closed and the reason thrown.
     */
    public static FrameChannel accept(Socket socket, SharedSecret secret, Duration timeout) throws IOException {
        return accept(socket, secret, timeout, null);
    }

    /**
     * Authenticates an accepted socket as the server, over TLS if {@code tls} is given (the peer
     * must then present a pinned certificate). On failure the peer is told why (if it got as far
     * as a well-formed hello), the socket is closed and the reason thrown.
     */
    public static FrameChannel accept(Socket socket, SharedSecret secret, Duration timeout, TlsContext tls)
            throws IOException {
        Objects.requireNonNull(secret, "secret");
        FrameChannel ch;
        try {
            ch = new FrameChannel(socket, null, timeout, tls, null);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
        try {
            ch.startTls("peer " + socket.getRemoteSocketAddress(),
                    " (a peer without TLS, or one whose certificate is not pinned in this node's keystore?)");
            new Handshake(ch.in, ch.out, socket.getRemoteSocketAddress()).asServer(secret);
            return ch;
        } catch (SocketTimeoutException e) {
            ch.close();
            throw new TransportException("peer " + socket.getRemoteSocketAddress()
                    + " sent no complete handshake within " + timeout.toMillis() + " ms", e);
        } catch (EOFException e) {
            ch.close();
            throw new TransportException("peer " + socket.getRemoteSocketAddress()
                    + " closed the connection during the handshake", e);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Sends one frame whose payload is {@code payload[off, off+len)}, rate limited. */
    public void send(int type, byte[] payload, int off, int len) throws IOException {
        if (type < 0 || type > 255) {
            throw new IllegalArgumentException("frame type out of range: " + type);
        }
        if (len < 0 || len > MAX_FRAME) {
            throw new IllegalArgumentException("frame payload out of range: " + len);
        }
        synchronized (out) {
            try {
                // The rate limit applies below, as the bytes reach the socket.
                out.writeByte(type);
                out.writeInt(len);
                out.write(payload, off, len);
                out.flush();
            } catch (IOException e) {
                throw failure(e);
            }
            lastSendNanos = System.nanoTime();
        }
    }

    /**
     * Sends one frame whose payload is {@code buf[HEADER, HEADER + len)}; the first {@link #HEADER}
     * bytes of {@code buf} are room this writes the frame header into, so header and payload reach
     * the socket in one write.
     */
    public void sendFramed(int type, byte[] buf, int len) throws IOException {
        if (type < 0 || type > 255) {
            throw new IllegalArgumentException("frame type out of range: " + type);
        }
        if (len < 0 || len > MAX_FRAME || buf.length < HEADER + len) {
            throw new IllegalArgumentException("frame payload out of range: " + len);
        }
        buf[0] = (byte) type;
        buf[1] = (byte) (len >>> 24);
        buf[2] = (byte) (len >>> 16);
        buf[3] = (byte) (len >>> 8);
        buf[4] = (byte) len;
        synchronized (out) {
            try {
                out.write(buf, 0, HEADER + len);
                out.flush();
            } catch (IOException e) {
                throw failure(e);
            }
            lastSendNanos = System.nanoTime();
        }
    }

    public void send(int type, byte[] payload) throws IOException {
        send(type, payload, 0, payload.length);
    }

    /** Sends a frame without payload. */
    public void send(int type) throws IOException {
        send(type, new byte[0], 0, 0);
    }

    /**
     * Reads the next frame.
     *
     * @throws TransportException if the peer closed, stayed silent for the timeout or sent a
     *                            frame larger than {@code maxLength}
     */
    public Frame receive(int maxLength) throws IOException {
        return receive(maxLength, false);
    }

    /**
     * Reads the next frame into a buffer this channel reuses: the frame is valid only until the
     * next receive on this channel. For readers that consume each frame at once (page streams), so
     * that megabytes a second of frames are not megabytes a second of garbage.
     */
    public Frame receiveReusing() throws IOException {
        return receive(MAX_FRAME, true);
    }

    private Frame receive(int maxLength, boolean reuse) throws IOException {
        try {
            int type = in.readUnsignedByte();
            int len = in.readInt();
            if (len < 0 || len > Math.min(maxLength, MAX_FRAME)) {
                throw new TransportException("peer sent a frame of type " + type + " with length " + len
                        + " (limit " + Math.min(maxLength, MAX_FRAME) + ")");
            }
            byte[] payload;
            if (reuse) {
                if (received.length < len) {
                    received = new byte[Math.max(len, 256 * 1024)];
                }
                payload = received;
            } else {
                payload = new byte[len];
            }
            in.readFully(payload, 0, len);
            return new Frame(type, ByteBuffer.wrap(payload, 0, len));
        } catch (TransportException e) {
            throw e;
        } catch (IOException e) {
            throw failure(e);
        }
    }

    public Frame receive() throws IOException {
        return receive(MAX_FRAME);
    }

    private IOException failure(IOException e) {
        String why = closeReason;
        if (why != null) {
            return new TransportException(why, e);
        }
        if (e instanceof SocketTimeoutException) {
            return new TransportException("peer " + socket.getRemoteSocketAddress() + " was silent for "
                    + timeoutNanos / 1_000_000 + " ms", e);
        }
        if (e instanceof EOFException) {
            return new TransportException("peer " + socket.getRemoteSocketAddress() + " closed the connection", e);
        }
        return e instanceof TransportException ? e
                : new TransportException("connection to " + socket.getRemoteSocketAddress() + " broke: " + e.getMessage(), e);
    }

    private void checkStuckWrite() {
        long start = wire.writeStartNanos;
        if (start != 0 && System.nanoTime() - start > timeoutNanos && closeReason == null) {
            closeReason = "peer " + socket.getRemoteSocketAddress() + " accepted no data for "
                    + timeoutNanos / 1_000_000 + " ms";
            close();
        }
    }

    /** Nanos of {@link System#nanoTime()} when the last frame went out. */
    public long lastSendNanos() {
        return lastSendNanos;
    }

    /**
     * Bytes written to the socket so far: the handshake, frame headers and payloads, and the TLS
     * overhead when TLS is on (see the class comment for the one exception).
     */
    public long bytesSent() {
        return wire.sent.get();
    }

    /** Bytes read from the socket so far, counted like {@link #bytesSent()}. */
    public long bytesReceived() {
        return wire.received.get();
    }

    /** Whether this connection runs over TLS. */
    public boolean isTls() {
        return io instanceof SSLSocket;
    }

    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) socket.getRemoteSocketAddress();
    }

    public boolean isClosed() {
        return socket.isClosed();
    }

    /** Closes the connection; the peer's reads fail. Idempotent. */
    @Override
    public void close() {
        watchdog.cancel(false);
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
