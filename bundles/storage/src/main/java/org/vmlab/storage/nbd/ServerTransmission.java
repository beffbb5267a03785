package org.vmlab.storage.nbd;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import org.vmlab.storage.nbd.NbdMessages.Extent;
import org.vmlab.storage.nbd.NbdMessages.ReplyHeader;
import org.vmlab.storage.nbd.NbdMessages.Request;
import org.vmlab.storage.nbd.NbdMessages.SimpleReply;

/**
 * The transmission phase of one connection: requests are served in order, each answered with its
 * error code ({@code EINVAL} for bad ranges and unknown commands, {@code EPERM} for writes to a
 * read-only export, {@code EOVERFLOW} for a payload larger than 32 MiB, {@code EIO} for a failing
 * disk). Once structured replies are on, READ and BLOCK_STATUS answer in chunks.
 */
final class ServerTransmission {
    private final DataInputStream in;
    private final OutputStream out;
    private final Negotiated session;
    private final NbdExport export;
    private final NbdServerStats stats;
    private byte[] buf = new byte[64 << 10];

    ServerTransmission(DataInputStream in, OutputStream out, Negotiated session, NbdServerStats stats) {
        this.in = in;
        this.out = out;
        this.session = session;
        this.export = session.export();
        this.stats = stats;
    }

    /** Serves requests until NBD_CMD_DISC or the client goes; an unrecoverable request ends it too. */
    void run() throws IOException {
        while (true) {
            Request r = Request.read(in);
            stats.request();
            int type = r.type();
            boolean fua = (r.flags() & Nbd.CMD_FLAG_FUA) != 0;
            switch (type) {
                case Nbd.CMD_DISC -> {
                    return;
                }
                case Nbd.CMD_READ -> read(r);
                case Nbd.CMD_WRITE -> {
                    if (!write(r, fua)) {
                        return;
                    }
                }
                case Nbd.CMD_FLUSH -> simple(r, io(() -> export.flush()));
                case Nbd.CMD_TRIM -> simple(r, rangeError(r, true, false)
                        .orElse(() -> export.trim(r.offset(), r.unsignedLength())));
                case Nbd.CMD_WRITE_ZEROES -> simple(r, rangeError(r, true, false)
                        .orElse(() -> export.writeZeroes(r.offset(), r.unsignedLength(), fua)));
                case Nbd.CMD_BLOCK_STATUS -> blockStatus(r);
                default -> simpleError(r, Nbd.EINVAL, "unknown command " + type);
            }
        }
    }

    private void read(Request r) throws IOException {
        int err = r.unsignedLength() > Nbd.MAX_PAYLOAD ? Nbd.EOVERFLOW : r.length() == 0 || !r.inside(export.size())
                ? Nbd.EINVAL : 0;
        if (err != 0) {
            replyError(r, err, "read of " + r.unsignedLength() + " bytes at " + r.offset() + " is outside the "
                    + export.size() + "-byte export or too large");
            return;
        }
        int n = r.length();
        int header = session.structured() ? ReplyHeader.CHUNK_SIZE + 8 : SimpleReply.SIZE;
        ensure(header + n);
        ByteBuffer data = ByteBuffer.wrap(buf, header, n);
        try {
            export.read(r.offset(), data);
        } catch (IOException | RuntimeException e) {
            replyError(r, Nbd.EIO, "read failed: " + e.getMessage());
            return;
        }
        ByteBuffer h = ByteBuffer.wrap(buf, 0, header);
        if (session.structured()) {
            ReplyHeader.writeChunk(h, Nbd.REPLY_FLAG_DONE, Nbd.REPLY_TYPE_OFFSET_DATA, r.cookie(), 8 + n);
            h.putLong(r.offset());
        } else {
            new SimpleReply(0, r.cookie()).write(h);
        }
        out.write(buf, 0, header + n);
        out.flush();
        stats.read(n);
    }

    /** False when the connection cannot go on (a payload too large to skip). */
    private boolean write(Request r, boolean fua) throws IOException {
        if (r.unsignedLength() > Nbd.MAX_PAYLOAD) {
            simpleError(r, Nbd.EOVERFLOW, "write of " + r.unsignedLength() + " bytes (at most " + Nbd.MAX_PAYLOAD + ")");
            return false;
        }
        int n = r.length();
        ensure(n);
        in.readFully(buf, 0, n);
        RangeCheck check = rangeError(r, true, true);
        if (check.error() != 0) {
            simple(r, check);
            return true;
        }
        simple(r, io(() -> export.write(r.offset(), ByteBuffer.wrap(buf, 0, n), fua)));
        stats.written(n);
        return true;
    }

    private void blockStatus(Request r) throws IOException {
        if (!session.structured() || session.contexts().isEmpty()) {
            simpleError(r, Nbd.EINVAL, "no meta context was negotiated");
            return;
        }
        if (r.length() == 0 || !r.inside(export.size())) {
            replyError(r, Nbd.EINVAL, "block status outside the export");
            return;
        }
        boolean one = (r.flags() & Nbd.CMD_FLAG_REQ_ONE) != 0;
        Iterator<Map.Entry<Integer, String>> it = session.contexts().entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Integer, String> c = it.next();
            List<Extent> extents;
            try {
                extents = export.status(c.getValue(), r.offset(), r.unsignedLength(), one);
            } catch (IOException | RuntimeException e) {
                replyError(r, Nbd.EIO, "block status failed: " + e.getMessage());
                return;
            }
            int len = 4 + extents.size() * Extent.SIZE;
            ensure(ReplyHeader.CHUNK_SIZE + len);
            ByteBuffer b = ByteBuffer.wrap(buf);
            ReplyHeader.writeChunk(b, it.hasNext() ? 0 : Nbd.REPLY_FLAG_DONE, Nbd.REPLY_TYPE_BLOCK_STATUS, r.cookie(),
                    len);
            b.putInt(c.getKey());
            for (Extent e : extents) {
                e.write(b);
            }
            out.write(buf, 0, b.position());
        }
        out.flush();
    }

    /** What a command does, or the error it must answer with instead. */
    @FunctionalInterface
    interface Action {
        int run() throws IOException;
    }

    @FunctionalInterface
    interface Io {
        void run() throws IOException;
    }

    private static Action io(Io io) {
        return () -> {
            try {
                io.run();
                return 0;
            } catch (UnsupportedOperationException e) {
                return Nbd.EPERM;
            } catch (IOException | RuntimeException e) {
                return Nbd.EIO;
            }
        };
    }

    /** The error a ranged command gets ({@code EPERM}, {@code EINVAL}), or 0. */
    private RangeCheck rangeError(Request r, boolean modifies, boolean allowEmpty) {
        if (modifies && export.isReadOnly()) {
            return new RangeCheck(Nbd.EPERM);
        }
        if ((!allowEmpty && r.length() == 0) || !r.inside(export.size())) {
            return new RangeCheck(Nbd.EINVAL);
        }
        return new RangeCheck(0);
    }

    /** A range check's outcome: an error code, or 0 to run the command. */
    private record RangeCheck(int error) implements Action {
        @Override
        public int run() {
            return error;
        }

        Action orElse(Io io) {
            return error != 0 ? this : io(io);
        }
    }

    private void simple(Request r, Action a) throws IOException {
        int err = a.run();
        if (err != 0) {
            stats.error();
        }
        ByteBuffer b = ByteBuffer.allocate(SimpleReply.SIZE);
        new SimpleReply(err, r.cookie()).write(b);
        out.write(b.array());
        out.flush();
    }

    private void simpleError(Request r, int error, String why) throws IOException {
        simple(r, () -> error);
    }

    /** An error answer: a structured error chunk with a message when structured replies are on. */
    private void replyError(Request r, int error, String message) throws IOException {
        if (!session.structured()) {
            simpleError(r, error, message);
            return;
        }
        stats.error();
        byte[] msg = message.getBytes(StandardCharsets.UTF_8);
        int m = Math.min(msg.length, 4096);
        ByteBuffer b = ByteBuffer.allocate(ReplyHeader.CHUNK_SIZE + 6 + m);
        ReplyHeader.writeChunk(b, Nbd.REPLY_FLAG_DONE, Nbd.REPLY_TYPE_ERROR, r.cookie(), 6 + m);
        b.putInt(error).putShort((short) m).put(msg, 0, m);
        out.write(b.array());
        out.flush();
    }

    private void ensure(int n) {
        if (buf.length < n) {
            buf = new byte[Math.max(n, buf.length * 2)];
        }
    }

    static boolean isDisconnect(IOException e) {
        return e instanceof EOFException || e instanceof java.net.SocketException;
    }
}
