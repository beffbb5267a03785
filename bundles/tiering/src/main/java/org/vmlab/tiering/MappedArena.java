package org.vmlab.tiering;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import org.vmlab.api.tiering.MemoryTier;
import org.vmlab.api.tiering.TierRegion;

/**
 * A tier region: a sparse file mapped in chunks of 1 GiB (one buffer maps at most 2 GiB) and
 * unlinked at once, so it costs the heap nothing, the host only the pages touched, and a crashed
 * JVM leaves no file. Java cannot unmap: the pages return when the buffers are collected, so
 * closing a large region asks for a collection.
 */
final class MappedArena implements TierRegion {
    private static final int CHUNK_SHIFT = 30;
    private static final long CHUNK_SIZE = 1L << CHUNK_SHIFT;
    private static final long CHUNK_MASK = CHUNK_SIZE - 1;
    private static final long RECLAIM_AT_CLOSE_BYTES = 64L << 20;

    private final MemoryTier tier;
    private final long size;
    private final Runnable onClose;
    private volatile ByteBuffer[] chunks;

    private MappedArena(MemoryTier tier, long size, ByteBuffer[] chunks, Runnable onClose) {
        this.tier = tier;
        this.size = size;
        this.chunks = chunks;
        this.onClose = onClose;
    }

    static MappedArena create(MemoryTier tier, Path dir, long size, Runnable onClose) throws IOException {
        Files.createDirectories(dir);
        Path file = Files.createTempFile(dir, "tier-" + tier.name() + "-", ".mem");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
            FileChannel ch = raf.getChannel();
            ByteBuffer[] chunks = new ByteBuffer[(int) ((size + CHUNK_SIZE - 1) >>> CHUNK_SHIFT)];
            for (int i = 0; i < chunks.length; i++) {
                long start = (long) i << CHUNK_SHIFT;
                chunks[i] = ch.map(FileChannel.MapMode.READ_WRITE, start, Math.min(CHUNK_SIZE, size - start))
                        .order(ByteOrder.LITTLE_ENDIAN);
            }
            return new MappedArena(tier, size, chunks, onClose);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Override
    public long sizeBytes() {
        return size;
    }

    @Override
    public MemoryTier tier() {
        return tier;
    }

    private ByteBuffer chunk(long offset, long length) {
        ByteBuffer[] c = chunks;
        if (c == null) {
            throw new IllegalStateException("region of " + tier + " is closed");
        }
        if (offset < 0 || length < 0 || offset + length > size) {
            throw new IndexOutOfBoundsException("[" + offset + ", " + (offset + length) + ") is outside the region's "
                    + size + " bytes");
        }
        return c[(int) (offset >>> CHUNK_SHIFT)];
    }

    /** Words never cross a chunk: callers align them (a chunk is a multiple of every word size). */
    private static int at(long offset) {
        return (int) (offset & CHUNK_MASK);
    }

    @Override
    public long getLong(long offset) {
        return chunk(offset, 8).getLong(at(offset));
    }

    @Override
    public void putLong(long offset, long value) {
        chunk(offset, 8).putLong(at(offset), value);
    }

    @Override
    public int getInt(long offset) {
        return chunk(offset, 4).getInt(at(offset));
    }

    @Override
    public void putInt(long offset, int value) {
        chunk(offset, 4).putInt(at(offset), value);
    }

    @Override
    public byte getByte(long offset) {
        return chunk(offset, 1).get(at(offset));
    }

    @Override
    public void putByte(long offset, byte value) {
        chunk(offset, 1).put(at(offset), value);
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        pieces(offset, dst.remaining(), (c, at, len) -> dst.put(c.slice(at, len)));
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        pieces(offset, src.remaining(), (c, at, len) -> {
            c.put(at, src, src.position(), len);
            src.position(src.position() + len);
        });
    }

    /** A part of a transfer that lies in one chunk. */
    private interface Piece {
        void move(ByteBuffer chunk, int at, int length);
    }

    /** Splits the range {@code [offset, offset + n)} at chunk boundaries, checked first. */
    private void pieces(long offset, int n, Piece piece) {
        chunk(offset, n);
        long o = offset;
        int left = n;
        while (left > 0) {
            int at = at(o);
            int len = (int) Math.min(left, CHUNK_SIZE - at);
            piece.move(chunk(o, 0), at, len);
            o += len;
            left -= len;
        }
    }

    @Override
    public void close() {
        boolean wasOpen;
        synchronized (this) {
            wasOpen = chunks != null;
            chunks = null;
        }
        if (wasOpen) {
            onClose.run();
            if (size >= RECLAIM_AT_CLOSE_BYTES) {
                System.gc(); // the only way Java returns mapped pages
            }
        }
    }
}
