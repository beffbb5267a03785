package org.vmlab.backend.support.memory;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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

    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final String owner;
    private final long size;
    private final long pageCount;
    private volatile ByteBuffer[] chunks;
    /**
     * Pages ever written through this mapping, where every write goes through it ({@link
     * #mapFresh}); else null. A page never written is zero, which {@link #zeroBitmap} then knows
     * without reading it: reading a hole of a tmpfs file would allocate it.
     */
    private final long[] written;
    /**
     * The file, open where writes are tracked: a page's first write goes through it, which
     * allocates a tmpfs page at about half the cost of a first store through the mapping (no
     * page fault); later writes go through the mapping.
     */
    private final FileChannel file;

    private MappedPages(String owner, long size, ByteBuffer[] chunks, FileChannel file) {
        this.owner = owner;
        this.size = size;
        this.pageCount = size >>> Pages.SHIFT;
        this.chunks = chunks;
        this.file = file;
        this.written = file != null ? new long[(int) ((pageCount + 63) >>> 6)] : null;
    }

    /** Pages compared with zeros at once by {@link #zeroBitmap}. */
    static final int SCAN_PAGES = 16;
    /** Zeros to compare with; read-only, never written. */
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(SCAN_PAGES << Pages.SHIFT).asReadOnlyBuffer();

    /**
     * Maps the first {@code sizeBytes} of {@code file}, which must be at least that long.
     *
     * @param owner the VM id, for messages
     */
    public static MappedPages map(Path file, String owner, long sizeBytes) throws IOException {
        return map(file, owner, sizeBytes, false);
    }

    /**
     * Maps a file that is all zero now and that only this mapping writes (no other process maps
     * it): pages never written through it are known to be zero without reading them.
     */
    public static MappedPages mapFresh(Path file, String owner, long sizeBytes) throws IOException {
        return map(file, owner, sizeBytes, true);
    }

    private static MappedPages map(Path file, String owner, long sizeBytes, boolean fresh) throws IOException {
        if (sizeBytes <= 0 || sizeBytes % Pages.SIZE != 0) {
            throw new IllegalArgumentException("memory size must be a positive multiple of 4096: " + sizeBytes);
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            if (ch.size() < sizeBytes) {
                throw new IOException("RAM file " + file + " has " + ch.size() + " bytes, not " + sizeBytes);
            }
            ByteBuffer[] chunks = new ByteBuffer[(int) ((sizeBytes + CHUNK_SIZE - 1) >>> CHUNK_SHIFT)];
            for (int i = 0; i < chunks.length; i++) {
                long start = (long) i << CHUNK_SHIFT;
                chunks[i] = ch.map(FileChannel.MapMode.READ_WRITE, start, Math.min(CHUNK_SIZE, sizeBytes - start))
                        .order(ByteOrder.LITTLE_ENDIAN);
            }
            MappedPages m = new MappedPages(owner, sizeBytes, chunks, fresh ? ch : null);
            if (!fresh) {
                ch.close();
            }
            return m;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
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
        if (file != null) {
            try {
                file.close();
            } catch (IOException ignored) {
                // the mapping is gone either way
            }
        }
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
        if (file == null || !unwritten(pfn, pages)) {
            copy(pfn, pages, src, true);
        } else {
            firstWrite(pfn, pages, src);
        }
        for (int i = 0; i < pages; i++) {
            written(pfn + i);
        }
    }

    private boolean unwritten(long pfn, int pages) {
        checkPages(pfn, pages);
        for (int i = 0; i < pages; i++) {
            if (isWritten(pfn + i)) {
                return false;
            }
        }
        return true;
    }

    /** Writes pages no one wrote yet through the file (see {@link #file}). */
    private void firstWrite(long pfn, int pages, ByteBuffer src) {
        long bytes = (long) pages << Pages.SHIFT;
        if (src.remaining() < bytes) {
            throw new BufferUnderflowException();
        }
        chunks(); // a closed memory fails here, as on the other paths
        ByteBuffer part = src.slice(src.position(), (int) bytes);
        long at = pfn << Pages.SHIFT;
        try {
            while (part.hasRemaining()) {
                at += file.write(part, at);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write the memory of VM '" + owner + "'", e);
        }
        src.position(src.position() + (int) bytes);
    }

    /** Marks a page written (where writes are tracked); one plain read when it is already marked. */
    private void written(long pfn) {
        long[] w = written;
        if (w != null) {
            int word = (int) (pfn >>> 6);
            long bit = 1L << pfn;
            if (((long) WORDS.getOpaque(w, word) & bit) == 0) {
                WORDS.getAndBitwiseOr(w, word, bit);
            }
        }
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
        written(offset >>> Pages.SHIFT);
        chunks()[(int) (offset >>> CHUNK_SHIFT)].putLong((int) (offset & CHUNK_MASK), value);
    }

    public boolean isZero(long pfn) {
        Objects.checkIndex(pfn, pageCount);
        long off = pfn << Pages.SHIFT;
        ByteBuffer c = chunks()[(int) (off >>> CHUNK_SHIFT)];
        return zero(c, (int) (off & CHUNK_MASK), Pages.SIZE);
    }

    /**
     * The zero pages of {@code [from, to)} as a bitmap ({@code from} a multiple of 64): runs of
     * {@value #SCAN_PAGES} pages are compared with zeros at once ({@link ByteBuffer#mismatch}, which
     * the JDK vectorises), pages one by one only where a run is not all zero.
     */
    public long[] zeroBitmap(long from, long to) {
        if (from % 64 != 0 || from < 0 || to < from || to > pageCount) {
            throw new IndexOutOfBoundsException("pages [" + from + ", " + to + ") of " + pageCount);
        }
        long[] bits = new long[(int) ((to - from + 63) >>> 6)];
        ByteBuffer[] cs = chunks();
        long pfn = from;
        while (pfn < to) {
            long off = pfn << Pages.SHIFT;
            ByteBuffer c = cs[(int) (off >>> CHUNK_SHIFT)];
            int base = (int) (off & CHUNK_MASK);
            // A run never crosses a chunk: chunks are a whole number of runs.
            int run = (int) Math.min(SCAN_PAGES, to - pfn);
            int unwritten = written == null ? 0 : unwritten(pfn, run, from, bits);
            if (unwritten > 0) {
                if (unwritten < run) {
                    // Some were written: read just those (reading the others would allocate them).
                    for (int i = 0; i < run; i++) {
                        long p = pfn + i;
                        if (isWritten(p) && zero(c, base + (i << Pages.SHIFT), Pages.SIZE)) {
                            bits[(int) ((p - from) >>> 6)] |= 1L << (p - from);
                        }
                    }
                }
                pfn += run;
                continue;
            }
            int bytes = run << Pages.SHIFT;
            long first = c.slice(base, bytes).mismatch(ZEROS.slice(0, bytes));
            int zeroPages = first < 0 ? run : (int) (first >>> Pages.SHIFT);
            for (int i = 0; i < run; i++) {
                if (i < zeroPages || i > zeroPages && zero(c, base + (i << Pages.SHIFT), Pages.SIZE)) {
                    long bit = pfn + i - from;
                    bits[(int) (bit >>> 6)] |= 1L << bit;
                }
            }
            pfn += run;
        }
        return bits;
    }

    private static boolean zero(ByteBuffer chunk, int at, int bytes) {
        // Most pages that are not zero are so in their first word: no slices for those (the two
        // slices cost more than the compare on incompressible memory, by profile).
        if (chunk.getLong(at) != 0) {
            return false;
        }
        return chunk.slice(at, bytes).mismatch(ZEROS.slice(0, bytes)) < 0;
    }

    private boolean isWritten(long pfn) {
        return ((long) WORDS.getOpaque(written, (int) (pfn >>> 6)) & (1L << pfn)) != 0;
    }

    /**
     * Where writes are tracked: marks the never-written pages of the run {@code [pfn, pfn + run)}
     * zero in {@code bits}, and counts them.
     */
    private int unwritten(long pfn, int run, long from, long[] bits) {
        int n = 0;
        for (int i = 0; i < run; i++) {
            long p = pfn + i;
            if (!isWritten(p)) {
                long bit = p - from;
                bits[(int) (bit >>> 6)] |= 1L << bit;
                n++;
            }
        }
        return n;
    }

    /** XXH64 (seed 0) of a page. */
    public long hash(long pfn) {
        Objects.checkIndex(pfn, pageCount);
        long off = pfn << Pages.SHIFT;
        return PageHash.of(chunks()[(int) (off >>> CHUNK_SHIFT)], (int) (off & CHUNK_MASK));
    }
}
