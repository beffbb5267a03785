package org.vmlab.backend.support.memory;

import java.io.IOException;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

import org.vmlab.api.memory.Pages;

/**
 * Guest RAM in a file mapped read-write and shared, in chunks of at most 1 GiB (one buffer maps at
 * most 2 GiB), with little-endian words. It checks bounds and copies; the backend's
 * {@link org.vmlab.api.memory.GuestMemory} adds what it needs around each access (dirty marks,
 * postcopy checks, hashes of what it hands out).
 *
 * <p>After {@link #close()} every access throws {@link IllegalStateException}. Java cannot unmap:
 * the pages go back to the host when the buffers are collected, so closing a large mapping asks for
 * a collection.
 */
public final class MappedPages {
    /** Chunk size of the mapping: 1 GiB, a multiple of the page size. */
    public static final int CHUNK_SHIFT = 30;
    public static final long CHUNK_SIZE = 1L << CHUNK_SHIFT;
    private static final long CHUNK_MASK = CHUNK_SIZE - 1;
    /** Mappings at least this large trigger a collection when closed, to return their pages. */
    private static final long RECLAIM_AT_CLOSE_BYTES = 64L << 20;

    private final String owner;
    private final long size;
    private final long pageCount;
    private volatile ByteBuffer[] chunks;

    private MappedPages(String owner, long size, ByteBuffer[] chunks) {
        this.owner = owner;
        this.size = size;
        this.pageCount = size >>> Pages.SHIFT;
        this.chunks = chunks;
    }

    /**
     * Maps the first {@code sizeBytes} of {@code file}, which must be at least that long.
     *
     * @param owner the VM id, for messages
     */
    public static MappedPages map(Path file, String owner, long sizeBytes) throws IOException {
        if (sizeBytes <= 0 || sizeBytes % Pages.SIZE != 0) {
            throw new IllegalArgumentException("memory size must be a positive multiple of 4096: " + sizeBytes);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (ch.size() < sizeBytes) {
                throw new IOException("RAM file " + file + " has " + ch.size() + " bytes, not " + sizeBytes);
            }
            ByteBuffer[] chunks = new ByteBuffer[(int) ((sizeBytes + CHUNK_SIZE - 1) >>> CHUNK_SHIFT)];
            for (int i = 0; i < chunks.length; i++) {
                long start = (long) i << CHUNK_SHIFT;
                chunks[i] = ch.map(FileChannel.MapMode.READ_WRITE, start, Math.min(CHUNK_SIZE, sizeBytes - start))
                        .order(ByteOrder.LITTLE_ENDIAN);
            }
            return new MappedPages(owner, sizeBytes, chunks);
        }
    }

    public long sizeBytes() {
        return size;
    }

    public long pageCount() {
        return pageCount;
    }

    /** Drops the mapping; idempotent. */
    public void close() {
        boolean wasOpen = chunks != null;
        chunks = null;
        if (wasOpen && size >= RECLAIM_AT_CLOSE_BYTES) {
            // With guests off the heap, the heap may not fill for a long time, so gigabytes of
            // (tmpfs) pages would stay taken until some later collection: collect now.
            System.gc();
        }
    }

    public boolean isClosed() {
        return chunks == null;
    }

    private ByteBuffer[] chunks() {
        ByteBuffer[] c = chunks;
        if (c == null) {
            throw new IllegalStateException("the memory of VM '" + owner + "' is gone (VM destroyed)");
        }
        return c;
    }

    /** @throws IndexOutOfBoundsException unless pages [pfn, pfn + pages) are guest memory */
    public void checkPages(long pfn, long pages) {
        if (pfn < 0 || pages < 0 || pfn > pageCount - pages) {
            throw new IndexOutOfBoundsException("pages [" + pfn + ", " + (pfn + pages)
                    + ") out of guest memory [0, " + pageCount + ")");
        }
    }

    /** @throws IllegalArgumentException unless 8-aligned, IndexOutOfBoundsException unless in memory */
    public void checkWord(long offset) {
        if ((offset & 7) != 0) {
            throw new IllegalArgumentException("word offset must be a multiple of 8: " + offset);
        }
        if (offset < 0 || offset >= size) {
            throw new IndexOutOfBoundsException("word offset " + offset + " out of guest memory [0, " + size + ")");
        }
    }

    /** Copies pages [pfn, pfn + pages) into {@code dst} at its position, which advances. */
    public void read(long pfn, int pages, ByteBuffer dst) {
        copy(pfn, pages, dst, false);
    }

    /** Copies {@code src} from its position (which advances) into pages [pfn, pfn + pages). */
    public void write(long pfn, int pages, ByteBuffer src) {
        copy(pfn, pages, src, true);
    }

    /** One copy loop for both directions: a range may span chunks. */
    private void copy(long pfn, int pages, ByteBuffer buf, boolean intoGuest) {
        checkPages(pfn, pages);
        long bytes = (long) pages << Pages.SHIFT;
        if (buf.remaining() < bytes) {
            throw intoGuest ? new BufferUnderflowException() : new BufferOverflowException();
        }
        ByteBuffer[] cs = chunks();
        long off = pfn << Pages.SHIFT;
        long end = off + bytes;
        int pos = buf.position();
        while (off < end) {
            int inChunk = (int) (off & CHUNK_MASK);
            int n = (int) Math.min(end - off, CHUNK_SIZE - inChunk);
            ByteBuffer chunk = cs[(int) (off >>> CHUNK_SHIFT)];
            if (intoGuest) {
                chunk.put(inChunk, buf, pos, n);
            } else {
                buf.put(pos, chunk, inChunk, n);
            }
            pos += n;
            off += n;
        }
        buf.position(pos);
    }

    public long getLong(long offset) {
        checkWord(offset);
        return chunks()[(int) (offset >>> CHUNK_SHIFT)].getLong((int) (offset & CHUNK_MASK));
    }

    public void putLong(long offset, long value) {
        checkWord(offset);
        chunks()[(int) (offset >>> CHUNK_SHIFT)].putLong((int) (offset & CHUNK_MASK), value);
    }

    public boolean isZero(long pfn) {
        Objects.checkIndex(pfn, pageCount);
        long off = pfn << Pages.SHIFT;
        ByteBuffer c = chunks()[(int) (off >>> CHUNK_SHIFT)];
        int base = (int) (off & CHUNK_MASK);
        for (int i = 0; i < Pages.SIZE; i += 32) {
            if ((c.getLong(base + i) | c.getLong(base + i + 8) | c.getLong(base + i + 16)
                    | c.getLong(base + i + 24)) != 0) {
                return false;
            }
        }
        return true;
    }

    /** XXH64 (seed 0) of a page. */
    public long hash(long pfn) {
        Objects.checkIndex(pfn, pageCount);
        long off = pfn << Pages.SHIFT;
        return PageHash.of(chunks()[(int) (off >>> CHUNK_SHIFT)], (int) (off & CHUNK_MASK));
    }
}
