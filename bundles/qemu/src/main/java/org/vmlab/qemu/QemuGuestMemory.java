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

import org.vmlab.api.memory.DirtyLog;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.memory.PostcopyMemory;
import org.vmlab.api.memory.Xxh64;

/**
 * A QEMU guest's RAM: the {@code memory-backend-file} QEMU maps with {@code share=on}, mapped
 * here too (in chunks of at most 1 GiB), so reads and writes are the guest's memory itself.
 *
 * <p>Guest stores bypass the JVM, so the dirty log works by content: it keeps an XXH64 hash per
 * page and each {@link DirtyLog#sync()} rehashes every page and reports those whose hash changed.
 * A change is missed only if old and new content collide in XXH64 (about 2<sup>-64</sup>), and a
 * page written back to its previous content is (correctly, for migration) not reported. A store
 * racing the rehash leaves a hash of whatever was read; the final content differs from it, so the
 * next sync reports the page. Postcopy is not offered: QEMU's vCPUs cannot wait on vmlab.
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
        return true;
    }

    @Override
    public long pageHash(long pfn) {
        Objects.checkIndex(pfn, pageCount);
        return hash(chunks(), pfn);
    }

    private static long hash(ByteBuffer[] cs, long pfn) {
        long off = pfn << Pages.SHIFT;
        return Xxh64.hash(cs[(int) (off >>> CHUNK_SHIFT)], (int) (off & CHUNK_MASK), Pages.SIZE, 0);
    }

    @Override
    public Optional<PostcopyMemory> postcopy() {
        return Optional.empty();
    }

    @Override
    public DirtyLog dirtyLog() {
        return dirtyLog;
    }

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
            for (int i = 0; i < h.length; i++) {
                h[i] = hash(cs, i);
            }
            hashes = h;
        }

        @Override
        public synchronized PageSet sync() {
            long[] h = hashes;
            if (h == null) {
                throw new IllegalStateException("the dirty log of VM '" + owner + "' is not running");
            }
            ByteBuffer[] cs = chunks();
            long[] bits = new long[(h.length + 63) >>> 6];
            for (int i = 0; i < h.length; i++) {
                long now = hash(cs, i);
                if (now != h[i]) {
                    h[i] = now;
                    bits[i >>> 6] |= 1L << i;
                }
            }
            return PageSet.ofBitmap(pageCount, bits);
        }

        @Override
        public synchronized void stop() {
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
