package org.vmlab.kvs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * One client connection, driven by its worker's selector: reads command lines and data blocks,
 * runs them, queues the replies and writes them as the client takes them. A client that does not
 * read its replies stops being read once it has {@link #OUT_LIMIT} queued (so it cannot make the
 * server buffer without bound), and a multi-get over that limit is suspended until it catches up.
 */
final class Connection implements Session {
    static final int BASE = 16 << 10;
    static final int OUT_LIMIT = 1 << 20;
    /** The longest command line but a retrieval's; longer ones are refused and closed. */
    static final int MAX_LINE = 8 << 10;
    /** The longest retrieval line (get, gets, gat, gats of many keys), as memcached takes long multi-gets. */
    static final int MAX_GET_LINE = 4 << 20;
    private static final int OUT_CHUNK = 16 << 10;

    private final SocketChannel channel;
    private final KvsServerImpl server;
    private final Worker worker;
    private final Operations ops;
    private SelectionKey key;
    private ByteBuffer in = ByteBuffer.allocate(BASE);
    private final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
    private final byte[] pending = new byte[OUT_CHUNK];
    private int pendingLength;
    private long outBytes;
    private int need = -1;
    private Consumer<byte[]> dataHandler;
    private long swallow;
    private Runnable continuation;
    private boolean closing;
    private boolean closed;
    private long budgeted;

    Connection(SocketChannel channel, KvsServerImpl server, Worker worker) {
        this.channel = channel;
        this.worker = worker;
        this.server = server;
        this.ops = server.operations();
    }

    void attach(SelectionKey k) {
        this.key = k;
    }

    /** Called by the worker for a stalled connection: reads again if buffer memory came back. */
    void retry() throws IOException {
        if (!closed && !in.hasRemaining() && grow()) {
            interest();
        }
    }

    // ------------------------------------------------------------ input

    /** The selector says there is input. */
    void onReadable() throws IOException {
        if (!in.hasRemaining() && !grow()) {
            interest(); // no buffer memory left: wait until other connections give some back
            return;
        }
        int n = channel.read(in);
        if (n < 0) {
            closeNow();
            return;
        }
        server.countRead(n);
        process();
    }

    /** Runs the complete commands in the input buffer, then writes what they replied. */
    private void process() throws IOException {
        in.flip();
        try {
            while (!closing && continuation == null && outBytes < OUT_LIMIT && in.hasRemaining()) {
                if (swallow > 0) {
                    int k = (int) Math.min(swallow, in.remaining());
                    in.position(in.position() + k);
                    swallow -= k;
                } else if (need >= 0) {
                    if (in.remaining() < need) {
                        break;
                    }
                    byte[] data = new byte[need];
                    in.get(data);
                    Consumer<byte[]> h = dataHandler;
                    need = -1;
                    dataHandler = null;
                    h.accept(data);
                } else if (!command()) {
                    break;
                }
            }
        } finally {
            in.compact();
        }
        ops.store().settle(); // the emulated tier costs of these commands, outside the store's lock
        if (need > in.capacity()) {
            grow();
        }
        flush();
    }

    /** Runs one command line if a whole one is buffered; false if more input is needed. */
    private boolean command() {
        int start = in.position();
        int limit = in.limit();
        if (in.get(start) == (byte) 0x80) {
            closing = true; // the binary protocol: superseded by meta commands, not spoken here
            return false;
        }
        int lf = -1;
        for (int i = start; i < limit; i++) {
            if (in.get(i) == '\n') {
                lf = i;
                break;
            }
        }
        if (lf < 0) {
            if (limit - start >= lineLimit()) {
                write(Replies.LINE_TOO_LONG);
                closing = true;
            }
            return false;
        }
        int end = lf > start && in.get(lf - 1) == '\r' ? lf - 1 : lf;
        byte[] line = new byte[end - start];
        in.get(start, line);
        in.position(lf + 1);
        dispatch(line);
        return true;
    }

    /** How long the line being read may grow: a retrieval's longer than any other command's. */
    private int lineLimit() {
        int p = in.position();
        int n = Math.min(in.limit() - p, 4);
        StringBuilder head = new StringBuilder();
        for (int i = 0; i < n; i++) {
            head.append((char) in.get(p + i));
        }
        String h = head.toString();
        return h.startsWith("get") || h.startsWith("gat") ? MAX_GET_LINE : MAX_LINE;
    }

    private void dispatch(byte[] line) {
        Request r = Request.parse(line, line.length);
        if (looksLikeHttp(r)) {
            closing = true; // memcached hangs up on HTTP requests without a word
            return;
        }
        TextCommand c = TextCommand.of(r);
        if (c != null) {
            c.handle(this, r);
            return;
        }
        MetaCommand m = MetaCommand.of(r);
        if (m != null) {
            m.handle(this, r);
            return;
        }
        write(Replies.ERROR);
    }

    private static boolean looksLikeHttp(Request r) {
        return r.count() >= 2 && r.text(r.count() - 1).startsWith("HTTP/");
    }

    /** A larger input buffer (for a data block, or a long line), if the server's buffer memory allows. */
    private boolean grow() {
        int want = Math.max(in.capacity() * 2, need + 1);
        want = Math.min(want, Math.max(need + 1, MAX_GET_LINE));
        if (want <= in.capacity()) {
            return false;
        }
        long extra = want - in.capacity();
        if (!server.reserveBuffer(extra)) {
            return false;
        }
        budgeted += extra;
        ByteBuffer b = ByteBuffer.allocate(want);
        in.flip();
        b.put(in);
        in = b;
        return true;
    }

    // ------------------------------------------------------------ Session

    @Override
    public Operations ops() {
        return ops;
    }

    @Override
    public KvsServerImpl server() {
        return server;
    }

    @Override
    public void write(byte[] bytes) {
        if (bytes.length > 0 && (bytes[0] == 'E' && bytes.length >= 5 && bytes[1] == 'R' && bytes[2] == 'R'
                || bytes[0] == 'C' && bytes.length >= 12 && bytes[1] == 'L' && bytes[6] == '_')) {
            server.countProtocolError();
        }
        outBytes += bytes.length;
        server.buffered(bytes.length);
        if (bytes.length >= OUT_CHUNK / 4) {
            seal();
            out.add(ByteBuffer.wrap(bytes)); // large values go out as they are, not copied again
            return;
        }
        if (pendingLength + bytes.length > pending.length) {
            seal();
        }
        System.arraycopy(bytes, 0, pending, pendingLength, bytes.length);
        pendingLength += bytes.length;
    }

    /** Moves the small replies gathered so far to the queue as one buffer. */
    private void seal() {
        if (pendingLength > 0) {
            out.add(ByteBuffer.wrap(java.util.Arrays.copyOf(pending, pendingLength)));
            pendingLength = 0;
        }
    }

    @Override
    public void expectData(int len, Consumer<byte[]> handler) {
        need = len;
        dataHandler = handler;
    }

    @Override
    public void swallow(long len) {
        swallow += len;
    }

    @Override
    public boolean hasRoom() {
        return outBytes < OUT_LIMIT && server.bufferRoom();
    }

    @Override
    public void suspend(Runnable rest) {
        continuation = rest;
    }

    @Override
    public void close() {
        closing = true;
    }

    // ------------------------------------------------------------ output

    /** Writes what is queued; resumes a suspended command and reading once the client caught up. */
    void flush() throws IOException {
        seal();
        while (!out.isEmpty()) {
            long n = channel.write(out.toArray(new ByteBuffer[0]));
            server.countWritten(n);
            outBytes -= n;
            server.buffered(-n);
            while (!out.isEmpty() && !out.peek().hasRemaining()) {
                out.poll();
            }
            if (n == 0) {
                break;
            }
        }
        if (out.isEmpty() && closing) {
            closeNow();
            return;
        }
        if (continuation != null && hasRoom()) {
            Runnable c = continuation;
            continuation = null;
            c.run();
            ops.store().settle();
            if (continuation == null && in.position() > 0) {
                process();
            } else {
                flush();
            }
            return;
        }
        interest();
    }

    private void interest() {
        if (key == null || !key.isValid()) {
            return;
        }
        int ops = 0;
        if (!out.isEmpty() || pendingLength > 0) {
            ops |= SelectionKey.OP_WRITE;
        }
        if (!closing && continuation == null && outBytes < OUT_LIMIT) {
            if (in.hasRemaining()) {
                ops |= SelectionKey.OP_READ;
            } else {
                worker.stall(this); // waits for buffer memory; the worker tries again
            }
        }
        key.interestOps(ops);
    }

    void closeNow() {
        if (closed) {
            return;
        }
        closed = true;
        if (key != null) {
            key.cancel();
        }
        try {
            channel.close();
        } catch (IOException e) {
            // already gone
        }
        server.releaseBuffer(budgeted);
        budgeted = 0;
        server.buffered(-outBytes);
        outBytes = 0;
        out.clear();
        server.connectionClosed();
    }

    boolean isClosed() {
        return closed;
    }
}
