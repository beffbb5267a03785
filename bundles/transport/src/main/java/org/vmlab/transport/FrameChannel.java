package org.vmlab.transport;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One authenticated, framed TCP connection. A frame is a type byte, a 4-byte big-endian payload
 * length (at most {@link #MAX_FRAME}) and the payload.
 *
 * <p>Handshake (protocol {@link #VERSION}): the client sends magic {@code VMLB}, its version and a
 * 32-byte nonce; the server answers magic, version, a status (0 accepted; 1 refused plus a reason),
 * its own nonce and {@code HMAC(secret, 'S'|clientNonce|serverNonce)}; the client checks that and
 * answers {@code HMAC(secret, 'C'|serverNonce|clientNonce)}; the server checks it and answers a
 * final status. Both sides thus prove they know the secret; MACs are compared in constant time.
 *
 * <p>Every read has a timeout; a write that makes no progress for the timeout closes the socket.
 * {@link #send} is thread-safe; {@link #receive} must be called by one thread at a time.
 */
public final class FrameChannel implements AutoCloseable {
    /** Protocol version spoken by this build (2: LZ4 page records replace version 1's deflate). */
    public static final int VERSION = 2;
    /** The largest payload accepted or sent. */
    public static final int MAX_FRAME = 8 << 20;
    /** Bytes of a frame header. */
    public static final int HEADER = 5;

    static final byte[] MAGIC = {'V', 'M', 'L', 'B'};
    static final int NONCE = 32;
    private static final int MAC = 32;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vmlab-transport-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final RateLimiter limiter;
    private final long timeoutNanos;
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();
    private volatile long writeStartNanos;
    private volatile long lastSendNanos = System.nanoTime();
    private volatile String closeReason;
    private final ScheduledFuture<?> watchdog;

    private FrameChannel(Socket socket, RateLimiter limiter, Duration timeout) throws IOException {
        this.socket = socket;
        this.limiter = limiter == null ? RateLimiter.unlimited() : limiter;
        this.timeoutNanos = timeout.toNanos();
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(toMillis(timeout));
        in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 64 * 1024));
        out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 64 * 1024));
        long period = Math.max(50, Math.min(500, timeout.toMillis() / 4));
        watchdog = WATCHDOG.scheduleWithFixedDelay(this::checkStuckWrite, period, period, TimeUnit.MILLISECONDS);
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
        Objects.requireNonNull(secret, "secret");
        Socket s = new Socket();
        try {
            s.connect(address, toMillis(timeout));
            FrameChannel ch = new FrameChannel(s, limiter, timeout);
            try {
                ch.clientHandshake(secret, VERSION);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            return ch;
        } catch (SocketTimeoutException e) {
            s.close();
            throw new TransportException(address + " did not answer within " + timeout.toMillis() + " ms", e);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** For tests: connects claiming another protocol version. */
    static FrameChannel connectWithVersion(InetSocketAddress address, SharedSecret secret, Duration timeout,
                                           int version) throws IOException {
        Socket s = new Socket();
        s.connect(address, toMillis(timeout));
        FrameChannel ch = new FrameChannel(s, null, timeout);
        try {
            ch.clientHandshake(secret, version);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return ch;
    }

    /**
     * Authenticates an accepted socket as the server. On failure the peer is told why (if it got
     * as far as a well-formed hello), the socket is closed and the reason thrown.
     */
    public static FrameChannel accept(Socket socket, SharedSecret secret, Duration timeout) throws IOException {
        Objects.requireNonNull(secret, "secret");
        FrameChannel ch;
        try {
            ch = new FrameChannel(socket, null, timeout);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
        try {
            ch.serverHandshake(secret);
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

    private void clientHandshake(SharedSecret secret, int version) throws IOException {
        byte[] nc = new byte[NONCE];
        RANDOM.nextBytes(nc);
        out.write(MAGIC);
        out.writeShort(version);
        out.write(nc);
        out.flush();
        readMagic("server");
        int serverVersion = in.readUnsignedShort();
        int status = in.readUnsignedByte();
        if (status != 0) {
            throw new TransportException("server refused the connection: " + readReason());
        }
        if (serverVersion != version) {
            throw new TransportException("server speaks protocol version " + serverVersion + ", not " + version);
        }
        byte[] ns = readN(NONCE);
        byte[] macS = readN(MAC);
        if (!SharedSecret.constantTimeEquals(macS, secret.mac((byte) 'S', nc, ns))) {
            throw new TransportException("server failed authentication (it does not know the shared secret)");
        }
        out.write(secret.mac((byte) 'C', ns, nc));
        out.flush();
        int done = in.readUnsignedByte();
        if (done != 0) {
            throw new TransportException("server refused the connection: " + readReason());
        }
    }

    private void serverHandshake(SharedSecret secret) throws IOException {
        readMagic("client");
        int version = in.readUnsignedShort();
        byte[] nc = readN(NONCE);
        out.write(MAGIC);
        out.writeShort(VERSION);
        if (version != VERSION) {
            refuse("unsupported protocol version " + version + " (this receiver speaks " + VERSION + ")");
        }
        out.writeByte(0);
        byte[] ns = new byte[NONCE];
        RANDOM.nextBytes(ns);
        out.write(ns);
        out.write(secret.mac((byte) 'S', nc, ns));
        out.flush();
        byte[] macC = readN(MAC);
        if (!SharedSecret.constantTimeEquals(macC, secret.mac((byte) 'C', ns, nc))) {
            refuse("authentication failed (wrong shared secret)");
        }
        out.writeByte(0);
        out.flush();
    }

    private void refuse(String reason) throws IOException {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        out.writeByte(1);
        out.writeByte(Math.min(255, r.length));
        out.write(r, 0, Math.min(255, r.length));
        out.flush();
        throw new TransportException("refused " + socket.getRemoteSocketAddress() + ": " + reason);
    }

    private String readReason() throws IOException {
        int n = in.readUnsignedByte();
        return new String(readN(n), StandardCharsets.UTF_8);
    }

    private void readMagic(String who) throws IOException {
        byte[] m = readN(MAGIC.length);
        if (!Arrays.equals(m, MAGIC)) {
            throw new TransportException("not a vmlab migration peer: the " + who
                    + " sent bytes " + java.util.HexFormat.of().formatHex(m) + " instead of the magic 'VMLB'");
        }
    }

    private byte[] readN(int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        bytesReceived.addAndGet(n);
        return b;
    }

    /** Sends one frame whose payload is {@code payload[off, off+len)}, rate limited. */
    public void send(int type, byte[] payload, int off, int len) throws IOException {
        if (type < 0 || type > 255) {
            throw new IllegalArgumentException("frame type out of range: " + type);
        }
        if (len < 0 || len > MAX_FRAME) {
            throw new IllegalArgumentException("frame payload out of range: " + len);
        }
        try {
            limiter.acquire(HEADER + len);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportException("interrupted while sending", e);
        }
        synchronized (out) {
            writeStartNanos = System.nanoTime();
            try {
                out.writeByte(type);
                out.writeInt(len);
                out.write(payload, off, len);
                out.flush();
            } catch (IOException e) {
                throw failure(e);
            } finally {
                writeStartNanos = 0;
            }
            lastSendNanos = System.nanoTime();
        }
        bytesSent.addAndGet(HEADER + len);
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
        try {
            int type = in.readUnsignedByte();
            int len = in.readInt();
            if (len < 0 || len > Math.min(maxLength, MAX_FRAME)) {
                throw new TransportException("peer sent a frame of type " + type + " with length " + len
                        + " (limit " + Math.min(maxLength, MAX_FRAME) + ")");
            }
            byte[] payload = new byte[len];
            in.readFully(payload);
            bytesReceived.addAndGet(HEADER + len);
            return new Frame(type, ByteBuffer.wrap(payload));
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
        long start = writeStartNanos;
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

    /** Bytes sent so far, frame headers and handshake included. */
    public long bytesSent() {
        return bytesSent.get();
    }

    public long bytesReceived() {
        return bytesReceived.get();
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
