package org.vmlab.qemu;

import java.io.IOException;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.Optional;

import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

import org.vmlab.api.memory.DirtyLog;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.memory.PostcopyMemory;

/**
 * A QEMU guest's RAM: the {@code memory-backend-file} QEMU maps with {@code share=on}, mapped
 * here too (in chunks of at most 1 GiB), so reads and writes are the guest's memory itself.
 *
 * <p>Guest stores bypass the JVM, so the dirty log works by content: it keeps an XXH64 hash per
 * page and each {@link DirtyLog#sync()} rehashes every page and reports those whose hash changed
 * since the previous sync. A change is missed only if old and new content collide in XXH64
 * (about 2<sup>-64</sup>). A store racing the rehash leaves a hash of whatever was read; the final
 * content differs from it, so the next sync reports the page.
 *
 * <p>Content comparison alone has an A-B-A hole: an engine reads a page while it holds B, and by
 * the next sync the guest has put back A, the content of the previous sync, so the page looks
 * clean although the destination got B (seen with pages the guest kernel zeroes again). So while
 * the log runs, every page handed out by {@link #read}, {@link #readPage} or found zero by
 * {@link #isZero} is hashed as handed out, and if that differs from the last sync's hash the page
 * gets a sticky mark that the next sync reports whatever the content is then. Readers other than
 * the engine (verifiers) can only add such reports, never hide one. Postcopy is not offered:
 * QEMU's vCPUs cannot wait on vmlab.
 */
public final class QemuGuestMemory implements GuestMemory {
    static final int CHUNK_SHIFT = 30;
    static final long CHUNK_SIZE = 1L << CHUNK_SHIFT;
    private static final long CHUNK_MASK = CHUNK_SIZE - 1;
    /** Guests at least this large trigger a collection when closed, to unmap their RAM file. */
    private static final long RECLAIM_AT_CLOSE_BYTES = 64L << 20;

    private final String owner;
    private final long size;
    private final long pageCount;
    private volatile ByteBuffer[] chunks;
    private final ContentDirtyLog dirtyLog = new ContentDirtyLog();
    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.arrayElementVarHandle(long[].class);
    /**
     * The page hash (XXH64, seed 0) through lz4-java's native code: each sync of a 512 MiB guest
     * took about 36 ms against 38 to 53 ms with vmlab's own Java XXH64 (bench/README.md, "page hash").
     */
    private static final XXHash64 XXH64 = XXHashFactory.fastestInstance().hash64();
    private static final long ZERO_HASH = XXH64.hash(new byte[Pages.SIZE], 0, Pages.SIZE, 0);
    /** Per-page hash at the last sync while the log runs, else null. */
    private volatile long[] syncHashes;
    /** Pages handed out with content other than the last sync's, while the log runs. */
    private volatile long[] sticky;

    private QemuGuestMemory(String owner, long size, ByteBuffer[] chunks) {
        this.owner = owner;
        this.size = size;
        this.pageCount = size >>> Pages.SHIFT;
        this.chunks = chunks;
    }

    /** Maps {@code sizeBytes} of an existing RAM file read-write and shared. */
    public static QemuGuestMemory map(String owner, Path file, long sizeBytes) throws IOException {
        if (sizeBytes <= 0 || sizeBytes % Pages.SIZE != 0) {
            throw new IllegalArgumentException("memory size must be a positive multiple of 4096: " + sizeBytes);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (ch.size() < sizeBytes) {
                throw new IOException("RAM file " + file + " has " + ch.size() + " bytes, not " + sizeBytes);
            }
            int n = (int) ((sizeBytes + CHUNK_SIZE - 1) >>> CHUNK_SHIFT);
            ByteBuffer[] chunks = new ByteBuffer[n];
            for (int i = 0; i < n; i++) {
                long start = (long) i << CHUNK_SHIFT;
                MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, start,
                        Math.min(CHUNK_SIZE, sizeBytes - start));
                m.order(ByteOrder.LITTLE_ENDIAN);
                chunks[i] = m;
            }
            return new QemuGuestMemory(owner, sizeBytes, chunks);
        }
    }

    /** Drops the mapping; later accesses throw IllegalStateException. */
    void close() {
        boolean wasOpen = chunks != null;
        chunks = null;
        dirtyLog.stop();
        if (wasOpen && size >= RECLAIM_AT_CLOSE_BYTES) {
            // The RAM file's pages are freed only when the mapping is collected (Java cannot unmap).
            System.gc();
        }
    }

    private ByteBuffer[] chunks() {
        ByteBuffer[] c = chunks;
        if (c == null) {
            throw new IllegalStateException("the memory of VM '" + owner + "' is gone (VM destroyed)");
        }
        return c;
    }

    @Override
    public long sizeBytes() {
        return size;
    }

    @Override
    public long pageCount() {
        return pageCount;
    }

    private void checkPages(long pfn, long pages) {
        if (pfn < 0 || pages < 0 || pfn > pageCount - pages) {
            throw new IndexOutOfBoundsException("pages [" + pfn + ", " + (pfn + pages)
                    + ") out of guest memory [0, " + pageCount + ")");
        }
    }

    @Override
    public void readPage(long pfn, ByteBuffer dst) {
        read(pfn, 1, dst);
    }

    @Override
    public void writePage(long pfn, ByteBuffer src) {
        write(pfn, 1, src);
    }

    @Override
    public void read(long pfn, int pages, ByteBuffer dst) {
        checkPages(pfn, pages);
        long bytes = (long) pages << Pages.SHIFT;
        if (dst.remaining() < bytes) {
            throw new BufferOverflowException();
        }
        ByteBuffer[] cs = chunks();
        long off = pfn << Pages.SHIFT;
        long end = off + bytes;
        int pos = dst.position();
        while (off < end) {
            int in = (int) (off & CHUNK_MASK);
            int n = (int) Math.min(end - off, CHUNK_SIZE - in);
            dst.put(pos, cs[(int) (off >>> CHUNK_SHIFT)], in, n);
            pos += n;
            off += n;
        }
        dst.position(pos);
        long[] h = syncHashes;
        if (h != null) {
            int at = pos - (int) bytes;
            for (int i = 0; i < pages; i++) {
                handedOut(h, pfn + i, XXH64.hash(dst, at + i * Pages.SIZE, Pages.SIZE, 0));
            }
        }
    }

    /** Marks a page sticky-dirty if what was handed out differs from its last synced content. */
    private void handedOut(long[] h, long pfn, long hash) {
        long[] st = sticky;
        if (st == null || hash == (long) LONGS.getOpaque(h, (int) pfn)) {
            return;
        }
        int w = (int) (pfn >>> 6);
        long bit = 1L << pfn;
        if (((long) LONGS.getOpaque(st, w) & bit) == 0) {
            LONGS.getAndBitwiseOr(st, w, bit);
        }
    }

    @Override
    public void write(long pfn, int pages, ByteBuffer src) {
        checkPages(pfn, pages);
        long bytes = (long) pages << Pages.SHIFT;
        if (src.remaining() < bytes) {
            throw new BufferUnderflowException();
        }
        ByteBuffer[] cs = chunks();
        long off = pfn << Pages.SHIFT;
        long end = off + bytes;
        int pos = src.position();
        while (off < end) {
            int in = (int) (off & CHUNK_MASK);
            int n = (int) Math.min(end - off, CHUNK_SIZE - in);
            cs[(int) (off >>> CHUNK_SHIFT)].put(in, src, pos, n);
            pos += n;
            off += n;
        }
        src.position(pos);
    }

    private void checkWord(long offset) {
        if ((offset & 7) != 0) {
            throw new IllegalArgumentException("word offset must be a multiple of 8: " + offset);
        }
        if (offset < 0 || offset >= size) {
            throw new IndexOutOfBoundsException("word offset " + offset + " out of guest memory [0, " + size + ")");
        }
    }

    @Override
    public long getLong(long offset) {
        checkWord(offset);
        return chunks()[(int) (offset >>> CHUNK_SHIFT)].getLong((int) (offset & CHUNK_MASK));
    }

    @Override
    public void putLong(long offset, long value) {
        checkWord(offset);
        // No marking needed: the content-comparing dirty log sees it like any guest store.
        chunks()[(int) (offset >>> CHUNK_SHIFT)].putLong((int) (offset & CHUNK_MASK), value);
    }

    @Override
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
        long[] h = syncHashes;
        if (h != null) {
            handedOut(h, pfn, ZERO_HASH); // an engine sends "zero" for it
        }
        return true;
    }

    @Override
    public long pageHash(long pfn) {
        Objects.checkIndex(pfn, pageCount);
        return hash(chunks(), pfn);
    }

    private static long hash(ByteBuffer[] cs, long pfn) {
        long off = pfn << Pages.SHIFT;
        return XXH64.hash(cs[(int) (off >>> CHUNK_SHIFT)], (int) (off & CHUNK_MASK), Pages.SIZE, 0);
    }

    @Override
    public Optional<PostcopyMemory> postcopy() {
        return Optional.empty();
    }

    @Override
    public DirtyLog dirtyLog() {
        return dirtyLog;
    }

    /** What a range task does: bitmap words [from, to). */
    private interface WordRange {
        void run(int from, int to);
    }

    /**
     * Runs {@code task} over {@code words} bitmap words split into one range per processor: a
     * sync hashes every page, and on a 512 MiB guest one thread needs ≈80 ms for it, time in
     * which the guest goes on dirtying memory (and, in the last round, part of the downtime
     * budget). The parallel stream's join makes the tasks' writes visible to the caller.
     */
    private static void inParallel(int words, WordRange task) {
        int parts = Math.max(1, Math.min(SYNC_PARALLELISM, words / 64));
        if (parts == 1) {
            task.run(0, words);
            return;
        }
        java.util.stream.IntStream.range(0, parts).parallel().forEach(p ->
                task.run((int) ((long) words * p / parts), (int) ((long) words * (p + 1) / parts)));
    }

    /** Threads that hash guest memory in a sync: one per processor. */
    private static final int SYNC_PARALLELISM = Runtime.getRuntime().availableProcessors();

    /** Dirty pages by content: one XXH64 per page, compared at each sync. */
    private final class ContentDirtyLog implements DirtyLog {
        private long[] hashes;

        @Override
        public synchronized void start() {
            if (hashes != null) {
                throw new IllegalStateException("the dirty log of VM '" + owner
                        + "' is already running (another migration owns it)");
            }
            if (pageCount > Integer.MAX_VALUE) {
                throw new IllegalStateException("guest of VM '" + owner + "' too large for content dirty logging");
            }
            ByteBuffer[] cs = chunks();
            long[] h = new long[(int) pageCount];
            inParallel((h.length + 63) >>> 6, (w0, w1) -> {
                for (int i = w0 << 6, end = (int) Math.min(h.length, (long) w1 << 6); i < end; i++) {
                    h[i] = hash(cs, i);
                }
            });
            hashes = h;
            sticky = new long[(h.length + 63) >>> 6];
            syncHashes = h;
        }

        @Override
        public synchronized PageSet sync() {
            long[] h = hashes;
            if (h == null) {
                throw new IllegalStateException("the dirty log of VM '" + owner + "' is not running");
            }
            ByteBuffer[] cs = chunks();
            long[] st = sticky;
            long[] bits = new long[(h.length + 63) >>> 6];
            for (int w = 0; w < bits.length; w++) {
                // Take the sticky marks before rehashing: a mark set later is kept for the next sync.
                bits[w] = (long) LONGS.getOpaque(st, w) != 0 ? (long) LONGS.getAndSet(st, w, 0L) : 0L;
            }
            // Each task owns whole 64-page words of the bitmap, so no two write the same word.
            inParallel(bits.length, (w0, w1) -> {
                for (int w = w0; w < w1; w++) {
                    long word = bits[w];
                    for (int i = w << 6, end = Math.min(h.length, (w + 1) << 6); i < end; i++) {
                        long now = hash(cs, i);
                        if (now != (long) LONGS.getOpaque(h, i)) {
                            LONGS.setOpaque(h, i, now);
                            word |= 1L << i;
                        }
                    }
                    bits[w] = word;
                }
            });
            return PageSet.ofBitmap(pageCount, bits);
        }

        @Override
        public synchronized void stop() {
            syncHashes = null;
            sticky = null;
            hashes = null;
        }

        @Override
        public synchronized boolean isLogging() {
            return hashes != null;
        }

        @Override
        public boolean isPrecise() {
            return false;
        }
    }
}
