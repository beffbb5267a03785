package org.vmlab.storage.nbd;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

import org.vmlab.storage.nbd.NbdMessages.Extent;
import org.vmlab.storage.nbd.NbdMessages.ReplyHeader;
import org.vmlab.storage.nbd.NbdMessages.Request;

/**
 * An NBD client with pipelining: requests go out as soon as they are made (up to a window of
 * requests in flight) and a reader thread matches replies to them by cookie, so one connection
 * keeps a long, fat link busy. Thread-safe.
 */
public final class NbdClient implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final ClientHandshake.Result info;
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong cookies = new AtomicLong(1);
    private final Semaphore window;
    private final Thread reader;
    private volatile IOException failure;

    /** One request in flight: where its data goes and what it completes. */
    private record Pending(Request request, ByteBuffer dst, int contextId, List<Extent> extents,
                           CompletableFuture<Void> done, IOException[] error) {
    }

    private NbdClient(Socket socket, DataInputStream in, DataOutputStream out, ClientHandshake.Result info,
                      int window) {
        this.socket = socket;
        this.in = in;
        this.out = out;
        this.info = info;
        this.window = new Semaphore(window);
        this.reader = new Thread(this::readLoop, "vmlab-nbd-client-" + socket.getLocalPort());
        this.reader.setDaemon(true);
        this.reader.start();
    }

    /**
     * Connects, negotiates structured replies and the given meta contexts, and opens {@code export}.
     *
     * @param window requests in flight at most
     */
    public static NbdClient connect(String host, int port, String export, List<String> contexts, int window,
                                    int timeoutMillis) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 256 << 10));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 256 << 10));
            ClientHandshake.Result r = ClientHandshake.run(in, out, export, contexts);
            s.setSoTimeout(0);
            return new NbdClient(s, in, out, r, window);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /**
     * Opens {@code streams} connections at once (each handshake costs round trips, which on a WAN
     * add up when done one after the other); all or none.
     */
    public static List<NbdClient> connectAll(String host, int port, String export, int streams, int window,
                                             int timeoutMillis) throws IOException {
        List<java.util.concurrent.CompletableFuture<NbdClient>> fs = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            fs.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return connect(host, port, export, List.of(), window, timeoutMillis);
                } catch (IOException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            }));
        }
        List<NbdClient> out = new ArrayList<>();
        IOException failure = null;
        for (var f : fs) {
            try {
                out.add(f.join());
            } catch (java.util.concurrent.CompletionException e) {
                failure = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            }
        }
        if (failure != null) {
            out.forEach(NbdClient::close);
            throw failure;
        }
        return out;
    }

    public long size() {
        return info.size();
    }

    public boolean isReadOnly() {
        return (info.flags() & Nbd.FLAG_READ_ONLY) != 0;
    }

    public int transmissionFlags() {
        return info.flags();
    }

    public boolean structured() {
        return info.structured();
    }

    /** Meta contexts the server agreed to, by name. */
    public Map<String, Integer> contexts() {
        return info.contexts();
    }

    public CompletableFuture<Void> readAsync(long offset, ByteBuffer dst) throws IOException {
        return send(new Request(0, Nbd.CMD_READ, 0, offset, dst.remaining()), null, dst);
    }

    public CompletableFuture<Void> writeAsync(long offset, ByteBuffer src, boolean fua) throws IOException {
        return send(new Request(fua ? Nbd.CMD_FLAG_FUA : 0, Nbd.CMD_WRITE, 0, offset, src.remaining()), src, null);
    }

    public void read(long offset, ByteBuffer dst) throws IOException {
        await(readAsync(offset, dst));
    }

    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        await(writeAsync(offset, src, fua));
    }

    public void flush() throws IOException {
        await(send(new Request(0, Nbd.CMD_FLUSH, 0, 0, 0), null, null));
    }

    public void trim(long offset, int length) throws IOException {
        await(trimAsync(offset, length));
    }

    public CompletableFuture<Void> trimAsync(long offset, int length) throws IOException {
        return send(new Request(0, Nbd.CMD_TRIM, 0, offset, length), null, null);
    }

    public void writeZeroes(long offset, int length, boolean fua) throws IOException {
        await(send(new Request(fua ? Nbd.CMD_FLAG_FUA : 0, Nbd.CMD_WRITE_ZEROES, 0, offset, length), null, null));
    }

    /** Extents of every negotiated context from {@code offset}, keyed by context id. */
    public List<Extent> blockStatus(String context, long offset, int length) throws IOException {
        Integer id = info.contexts().get(context);
        if (id == null) {
            throw new NbdException(Nbd.EINVAL, "meta context '" + context + "' was not negotiated");
        }
        List<Extent> extents = new ArrayList<>();
        await(send(new Request(0, Nbd.CMD_BLOCK_STATUS, 0, offset, length), null, null, id, extents));
        return extents;
    }

    private CompletableFuture<Void> send(Request proto, ByteBuffer payload, ByteBuffer dst) throws IOException {
        return send(proto, payload, dst, 0, null);
    }

    private CompletableFuture<Void> send(Request proto, ByteBuffer payload, ByteBuffer dst, int contextId,
                                         List<Extent> extents) throws IOException {
        checkOpen();
        try {
            window.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for the request window");
        }
        long cookie = cookies.getAndIncrement();
        Request r = new Request(proto.flags(), proto.type(), cookie, proto.offset(), proto.length());
        Pending p = new Pending(r, dst, contextId, extents, new CompletableFuture<>(), new IOException[1]);
        p.done().whenComplete((v, t) -> window.release());
        pending.put(cookie, p);
        ByteBuffer h = ByteBuffer.allocate(Request.SIZE);
        r.write(h);
        try {
            synchronized (out) {
                out.write(h.array());
                if (payload != null) {
                    ByteBuffer s = payload.duplicate();
                    if (s.hasArray()) {
                        out.write(s.array(), s.arrayOffset() + s.position(), s.remaining());
                    } else {
                        byte[] b = new byte[s.remaining()];
                        s.get(b);
                        out.write(b);
                    }
                }
                out.flush();
            }
        } catch (IOException e) {
            fail(e);
            throw e;
        }
        return p.done();
    }

    private void readLoop() {
        try {
            while (true) {
                ReplyHeader h = ReplyHeader.read(in);
                Pending p = pending.get(h.cookie());
                if (p == null) {
                    throw new NbdMessages.ProtocolException("reply for unknown cookie " + h.cookie());
                }
                IOException err = h.structured() ? chunk(h, p) : simple(h, p);
                if (err != null && p.error()[0] == null) {
                    p.error()[0] = err;
                }
                if (h.done()) {
                    pending.remove(h.cookie());
                    if (p.error()[0] != null) {
                        p.done().completeExceptionally(p.error()[0]);
                    } else {
                        p.done().complete(null);
                    }
                }
            }
        } catch (IOException e) {
            fail(e);
        }
    }

    private IOException simple(ReplyHeader h, Pending p) throws IOException {
        if (h.error() != 0) {
            return new NbdException(h.error(), "server answered " + Nbd.errorName(h.error()));
        }
        if (p.request().type() == Nbd.CMD_READ) {
            ByteBuffer d = p.dst().duplicate();
            in.readFully(d.array(), d.arrayOffset() + d.position(), d.remaining());
        }
        return null;
    }

    private IOException chunk(ReplyHeader h, Pending p) throws IOException {
        int len = h.length();
        switch (h.type()) {
            case Nbd.REPLY_TYPE_NONE -> {
                return null;
            }
            case Nbd.REPLY_TYPE_OFFSET_DATA -> {
                long off = in.readLong();
                int n = len - 8;
                long at = off - p.request().offset();
                if (p.dst() == null || at < 0 || n < 0 || at + n > p.request().unsignedLength()) {
                    throw new NbdMessages.ProtocolException("data chunk outside its read");
                }
                ByteBuffer d = p.dst();
                in.readFully(d.array(), d.arrayOffset() + d.position() + (int) at, n);
                return null;
            }
            case Nbd.REPLY_TYPE_OFFSET_HOLE -> {
                long off = in.readLong();
                int n = in.readInt();
                long at = off - p.request().offset();
                if (p.dst() == null || at < 0 || n < 0 || at + n > p.request().unsignedLength()) {
                    throw new NbdMessages.ProtocolException("hole chunk outside its read");
                }
                ByteBuffer d = p.dst();
                java.util.Arrays.fill(d.array(), d.arrayOffset() + d.position() + (int) at,
                        d.arrayOffset() + d.position() + (int) at + n, (byte) 0);
                return null;
            }
            case Nbd.REPLY_TYPE_BLOCK_STATUS -> {
                int id = in.readInt();
                int count = (len - 4) / Extent.SIZE;
                for (int i = 0; i < count; i++) {
                    Extent e = Extent.read(in);
                    if (p.extents() != null && p.contextId() == id) {
                        p.extents().add(e);
                    }
                }
                in.skipNBytes(len - 4 - (long) count * Extent.SIZE);
                return null;
            }
            default -> {
                if (!h.isErrorChunk() || len < 6) {
                    in.skipNBytes(len);
                    return h.isErrorChunk() ? new NbdException(Nbd.EIO, "malformed error chunk") : null;
                }
                int error = in.readInt();
                int m = in.readUnsignedShort();
                byte[] msg = new byte[Math.min(m, len - 6)];
                in.readFully(msg);
                in.skipNBytes(len - 6 - msg.length);
                return new NbdException(error, Nbd.errorName(error) + ": " + new String(msg, StandardCharsets.UTF_8));
            }
        }
    }

    private void fail(IOException e) {
        if (failure == null) {
            failure = e;
        }
        for (Pending p : pending.values()) {
            p.done().completeExceptionally(new NbdException("NBD connection lost: " + e.getMessage(), e));
        }
        pending.clear();
        try {
            socket.close();
        } catch (IOException ignored) {
            // already failing
        }
    }

    private void checkOpen() throws IOException {
        if (failure != null) {
            throw new NbdException("NBD connection lost: " + failure.getMessage(), failure);
        }
    }

    /** Waits for a request's reply; its NBD error, if any, is thrown. */
    public static void await(CompletableFuture<Void> f) throws IOException {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for an NBD reply");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new NbdException("NBD request failed: " + e.getCause(), e.getCause());
        }
    }

    /** Sends NBD_CMD_DISC and closes. */
    @Override
    public void close() {
        if (failure == null) {
            try {
                ByteBuffer h = ByteBuffer.allocate(Request.SIZE);
                new Request(0, Nbd.CMD_DISC, 0, 0, 0).write(h);
                synchronized (out) {
                    out.write(h.array());
                    out.flush();
                }
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        fail(new IOException("closed"));
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
