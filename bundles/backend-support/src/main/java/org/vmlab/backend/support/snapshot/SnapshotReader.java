package org.vmlab.backend.support.snapshot;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;

/**
 * One snapshot file being read ({@link SnapshotFormat#open}): the header is checked and at hand;
 * the body is read once through {@link #body()} and closed by {@link #finish()}, which checks its
 * checksum and end marker. A backend that must not start anything for a damaged file calls
 * {@link #verifyBody()} first, which checks the whole body before any of it is used.
 */
public final class SnapshotReader implements AutoCloseable {
    private final SnapshotFormat format;
    private final FileChannel ch;
    private final byte[] header;
    private final long bodyStart;
    private boolean verified;
    private DataInputStream raw;
    private CheckedInputStream checked;
    private DataInputStream body;

    private SnapshotReader(SnapshotFormat format, FileChannel ch, byte[] header, long bodyStart) {
        this.format = format;
        this.ch = ch;
        this.header = header;
        this.bodyStart = bodyStart;
    }

    static SnapshotReader open(SnapshotFormat format, Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            ByteBuffer pre = readFully(ch, SnapshotFormat.PREAMBLE);
            if (pre.getLong(0) != format.magic()) {
                throw new BadSnapshot("it is not " + format.withArticle() + " (bad magic number)");
            }
            int version = pre.getInt(8);
            if (version != format.version()) {
                throw new BadSnapshot("its format version " + version + " is not supported (only "
                        + format.version() + ")");
            }
            int len = pre.getInt(12);
            if (len < 0 || len > SnapshotFormat.MAX_HEADER || len > ch.size()) {
                throw new BadSnapshot("its header length " + len + " is impossible (header damaged?)");
            }
            ByteBuffer hb = readFully(ch, len + 8);
            byte[] header = Arrays.copyOf(hb.array(), len);
            if (hb.getLong(len) != format.headerCrc(header)) {
                throw new BadSnapshot("its header is corrupted (checksum mismatch)");
            }
            return new SnapshotReader(format, ch, header, ch.position());
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static ByteBuffer readFully(FileChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new EOFException();
            }
        }
        return b.flip();
    }

    /** Reads a header or a body part. */
    @FunctionalInterface
    public interface Decoder<T> {
        T decode(DataInputStream in) throws IOException;
    }

    /** The header as the backend wrote it. */
    public byte[] header() {
        return header.clone();
    }

    /**
     * Decodes the header; a header that ends early or holds a bad VM spec
     * ({@link IllegalArgumentException}) is a {@link BadSnapshot}.
     */
    public <T> T header(Decoder<T> decoder) throws IOException {
        try {
            return decoder.decode(new DataInputStream(new ByteArrayInputStream(header)));
        } catch (EOFException e) {
            throw new BadSnapshot("its header is cut short");
        } catch (IllegalArgumentException e) {
            throw new BadSnapshot("it holds a bad VM spec: " + e.getMessage());
        }
    }

    /** Where the body starts in the file. */
    public long bodyStart() {
        return bodyStart;
    }

    /**
     * Checks the end marker and the checksum of the whole body without using it, so nothing is
     * created from a damaged file. Reads the file once more.
     */
    public void verifyBody() throws IOException {
        long size = ch.size();
        if (size < bodyStart + SnapshotFormat.TRAILER) {
            throw new EOFException();
        }
        ByteBuffer trailer = ByteBuffer.allocate(SnapshotFormat.TRAILER);
        while (trailer.hasRemaining()) {
            if (ch.read(trailer, size - SnapshotFormat.TRAILER + trailer.position()) < 0) {
                throw new EOFException();
            }
        }
        if (trailer.getLong(8) != format.endMarker()) {
            throw new BadSnapshot("it is truncated or damaged at its end (no end marker)");
        }
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        long at = bodyStart;
        long end = size - SnapshotFormat.TRAILER;
        while (at < end) {
            buf.clear().limit((int) Math.min(buf.capacity(), end - at));
            int n = ch.read(buf, at);
            if (n < 0) {
                throw new EOFException();
            }
            crc.update(buf.flip());
            at += n;
        }
        if (crc.getValue() != trailer.getLong(0)) {
            throw new BadSnapshot("its content is corrupted (checksum mismatch)");
        }
        verified = true;
    }

    /** The body from its start, checksummed as it is read. */
    public DataInputStream body() throws IOException {
        if (body == null) {
            ch.position(bodyStart);
            BufferedInputStream in = new BufferedInputStream(Channels.newInputStream(ch), 1 << 20);
            raw = new DataInputStream(in);
            checked = new CheckedInputStream(in, new CRC32C());
            body = new DataInputStream(checked);
        }
        return body;
    }

    /** After the whole body was read: its checksum, the end marker, and nothing after it. */
    public void finish() throws IOException {
        body();
        if (raw.readLong() != checked.getChecksum().getValue()) {
            throw new BadSnapshot(verified ? "its content changed while it was read (checksum mismatch)"
                    : "its content is corrupted (checksum mismatch)");
        }
        if (raw.readLong() != format.endMarker()) {
            throw new BadSnapshot("its end marker is missing");
        }
        if (raw.read() != -1) {
            throw new BadSnapshot("it has extra bytes after its end");
        }
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
