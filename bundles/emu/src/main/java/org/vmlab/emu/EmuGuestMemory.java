package org.vmlab.emu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

import org.vmlab.api.memory.DirtyLog;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.memory.Pages;

/**
 * Guest memory off the Java heap: a sparse file mapped in chunks of at most 1 GiB, so a multi-GiB
 * guest costs the heap only its dirty bitmap. The file is unlinked right after mapping (on
 * systems that allow it), so a crashed JVM leaves nothing behind; the mapping stays valid until
 * its buffers are garbage-collected. Words are little-endian.
 *
 * <p>Dirty logging: one bit per page in a {@code long[]}. A write stores the data first, then
 * marks its page. <b>Ordering argument:</b> {@link DirtyLogImpl#sync()} clears each word with an
 * atomic {@code getAndSet(0)} and the engine copies the reported pages afterwards. A writer does
 * (1) store data, (2) full fence, (3) plain read of its bit word, (4) atomic OR if the bit was
 * clear. If (3) sees the bit clear, (4) sets it and the page is reported by this or the next sync.
 * If (3) sees it set, that set bit precedes the sync's getAndSet in the word's modification order;
 * the fence puts our data store (1) before (3) in the global order and the syncer's getAndSet is
 * itself a full barrier before its page copy, so the copy of the page the sync reports sees our
 * data. Without the fence, (3) could be satisfied before (1) leaves the store buffer (store-load
 * reordering, allowed even on x86) and a write could be lost from every sync. When the log is not
 * running the writer skips all of this (one volatile read of a null field).
 */
public final class EmuGuestMemory implements GuestMemory {

    /** Chunk size of the mapping: 1 GiB, a multiple of the page size. */
    static final int CHUNK_SHIFT = 30;
    static final long CHUNK_SIZE = 1L << CHUNK_SHIFT;
    private static final long CHUNK_MASK = CHUNK_SIZE - 1;

    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    /**
     * The page hash (XXH64, seed 0) through lz4-java's native code, which beat vmlab's own Java
     * XXH64 on 4 KiB pages of mapped memory in JMH (505 against 584 ns a page) and in the qemu
     * backend's dirty-log sync; same values, so hashes still compare across nodes and builds
     * (bench/README.md, "page hash", also for the one loop where the Java one was ahead).
     */
    private static final XXHash64 XXH64 = XXHashFactory.fastestInstance().hash64();

    private final String owner;
    private final long size;
    private final long pageCount;
    private final Path file;
    private volatile ByteBuffer[] chunks;
    private volatile boolean fileDeleted;
    private final DirtyLogImpl dirtyLog = new DirtyLogImpl();

    /** The bitmap while the log runs, else null. Writers read it once per write. */
    private volatile long[] bitmap;

    /** The postcopy view of this memory (always the same object). */
    private final EmuPostcopyMemory postcopyMemory;
    /**
     * {@link #postcopyMemory} while postcopy runs, else null: every guest access reads this once
     * and, only if it is set, checks the page's missing bit before touching the page.
     */
    private volatile EmuPostcopyMemory postcopy;

    private EmuGuestMemory(String owner, long size, Path file, ByteBuffer[] chunks, boolean deleted) {
        this.owner = owner;
        this.size = size;
        this.pageCount = size >>> Pages.SHIFT;
        this.file = file;
        this.chunks = chunks;
        this.fileDeleted = deleted;
        this.postcopyMemory = new EmuPostcopyMemory(this, owner);
    }

    /**
     * Creates the backing file in {@code dir} (sparse, all zero) and maps it.
     *
     * @param owner used in the file name and messages (the VM id)
     */
    static EmuGuestMemory create(Path dir, String owner, long sizeBytes) throws IOException {
        if (sizeBytes <= 0 || sizeBytes % Pages.SIZE != 0) {
            throw new IllegalArgumentException("memory size must be a positive multiple of 4096: "
                    + sizeBytes);
        }
        Files.createDirectories(dir);
        Path file = Files.createTempFile(dir, owner + "-", ".mem");
        boolean ok = false;
        try {
            ByteBuffer[] chunks;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                ch.truncate(0);
                // Sparse: setting the size allocates nothing.
                ch.position(sizeBytes - 1);
                ch.write(ByteBuffer.wrap(new byte[1]));
                int n = (int) ((sizeBytes + CHUNK_SIZE - 1) >>> CHUNK_SHIFT);
                chunks = new ByteBuffer[n];
                for (int i = 0; i < n; i++) {
                    long start = (long) i << CHUNK_SHIFT;
                    long len = Math.min(CHUNK_SIZE, sizeBytes - start);
                    MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, start, len);
                    m.order(ByteOrder.LITTLE_ENDIAN);
                    chunks[i] = m;
                }
            }
            boolean deleted;
            try {
                Files.delete(file);
                deleted = true;
            } catch (IOException e) {
                deleted = false; // e.g. Windows: delete on close instead
            }
            EmuGuestMemory mem = new EmuGuestMemory(owner, sizeBytes, file, chunks, deleted);
            ok = true;
            return mem;
        } finally {
            if (!ok) {
                Files.deleteIfExists(file);
            }
        }
    }

    /** The backing file's path (already unlinked on most systems). */
    Path file() {
        return file;
    }

    /** Drops the mapping and deletes the file; later accesses throw IllegalStateException. */
    /** Guests at least this large trigger a collection when closed, to return their pages. */
    private static final long RECLAIM_AT_CLOSE_BYTES = 64L << 20;

    void close() {
        boolean wasOpen = chunks != null;
        EmuPostcopyMemory pc = postcopy;
        if (pc != null) {
            pc.abort("VM destroyed");
        }
        chunks = null;
        bitmap = null;
        if (!fileDeleted) {
            try {
                Files.deleteIfExists(file);
                fileDeleted = true;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (wasOpen && size >= RECLAIM_AT_CLOSE_BYTES) {
            // The guest's pages go back to the host only when the mapped buffers are collected
            // (Java has no safe unmap). With guests off the heap, the heap may not fill for a long
            // time, so gigabytes of /dev/shm would stay taken: collect now.
            System.gc();
        }
    }

    boolean isClosed() {
        return chunks == null;
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
        Objects.checkIndex(pfn, pageCount);
        if (dst.remaining() < Pages.SIZE) {
            throw new BufferOverflowException();
        }
        EmuPostcopyMemory pc = postcopy;
        if (pc != null) {
            pc.access(pfn);
        }
        long off = pfn << Pages.SHIFT;
        ByteBuffer c = chunks()[(int) (off >>> CHUNK_SHIFT)];
        int pos = dst.position();
        dst.put(pos, c, (int) (off & CHUNK_MASK), Pages.SIZE);
        dst.position(pos + Pages.SIZE);
    }

    @Override
    public void writePage(long pfn, ByteBuffer src) {
        Objects.checkIndex(pfn, pageCount);
        if (src.remaining() < Pages.SIZE) {
            throw new BufferUnderflowException();
        }
        EmuPostcopyMemory pc = postcopy;
        if (pc != null) {
            pc.access(pfn);
        }
        long off = pfn << Pages.SHIFT;
        ByteBuffer c = chunks()[(int) (off >>> CHUNK_SHIFT)];
        int pos = src.position();
        c.put((int) (off & CHUNK_MASK), src, pos, Pages.SIZE);
        src.position(pos + Pages.SIZE);
        markDirty(pfn);
    }

    @Override
    public void read(long pfn, int pages, ByteBuffer dst) {
        checkPages(pfn, pages);
        long bytes = (long) pages << Pages.SHIFT;
        if (dst.remaining() < bytes) {
            throw new BufferOverflowException();
        }
        EmuPostcopyMemory pc = postcopy;
        if (pc != null) {
            pc.access(pfn, pages);
        }
        ByteBuffer[] cs = chunks();
        long off = pfn << Pages.SHIFT;
        long end = off + bytes;
        int pos = dst.position();
        while (off < end) {
            int inChunk = (int) (off & CHUNK_MASK);
            int n = (int) Math.min(end - off, CHUNK_SIZE - inChunk);
            dst.put(pos, cs[(int) (off >>> CHUNK_SHIFT)], inChunk, n);
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
        EmuPostcopyMemory pc = postcopy;
        if (pc != null) {
            pc.access(pfn, pages);
        }
        ByteBuffer[] cs = chunks();
        long off = pfn << Pages.SHIFT;
        long end = off + bytes;
        int pos = src.position();
        while (off < end) {
            int inChunk = (int) (off & CHUNK_MASK);
            int n = (int) Math.min(end - off, CHUNK_SIZE - inChunk);
            cs[(int) (off >>> CHUNK_SHIFT)].put(inChunk, src, pos, n);
            pos += n;
            off += n;
        }
        src.position(pos);
        markDirty(pfn, pages);
    }

    private long checkWord(long offset) {
        if ((offset & 7) != 0) {
            throw new IllegalArgumentException("word offset must be a multiple of 8: " + offset);
        }
        if (offset < 0 || offset >= size) {
            throw new IndexOutOfBoundsException("word offset " + offset
                    + " out of guest memory [0, " + size + ")");
        }
        return offset;
    }

    @Override
    public long getLong(long offset) {
        checkWord(offset);
        EmuPostcopyMemory pc = postcopy;
        if (pc != null) {
            pc.access(offset >>> Pages.SHIFT);
        }
        return chunks()[(int) (offset >>> CHUNK_SHIFT)].getLong((int) (offset & CHUNK_MASK));
    }

    @Override
    public void putLong(long offset, long value) {
        checkWord(offset);
        EmuPostcopyMemory pc = postcopy;
        if (pc != null) {
            pc.access(offset >>> Pages.SHIFT);
        }
        chunks()[(int) (offset >>> CHUNK_SHIFT)].putLong((int) (offset & CHUNK_MASK), value);
        markDirty(offset >>> Pages.SHIFT);
    }

    @Override
    public boolean isZero(long pfn) {
        Objects.checkIndex(pfn, pageCount);
        EmuPostcopyMemory pc = postcopy;
        if (pc != null) {
            pc.access(pfn);
        }
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
        EmuPostcopyMemory pc = postcopy;
        if (pc != null) {
            pc.access(pfn);
        }
        long off = pfn << Pages.SHIFT;
        ByteBuffer c = chunks()[(int) (off >>> CHUNK_SHIFT)];
        return XXH64.hash(c, (int) (off & CHUNK_MASK), Pages.SIZE, 0);
    }

    /**
     * Writes a page without marking it dirty and without the postcopy check (loading a snapshot
     * into a fresh VM, and postcopy fills).
     */
    void fillFromSnapshot(long pfn, ByteBuffer src) {
        Objects.checkIndex(pfn, pageCount);
        long off = pfn << Pages.SHIFT;
        ByteBuffer c = chunks()[(int) (off >>> CHUNK_SHIFT)];
        int pos = src.position();
        c.put((int) (off & CHUNK_MASK), src, pos, Pages.SIZE);
        src.position(pos + Pages.SIZE);
    }

    @Override
    public java.util.Optional<org.vmlab.api.memory.PostcopyMemory> postcopy() {
        return java.util.Optional.of(postcopyMemory);
    }

    /** The postcopy view with its emu-specific extras. */
    public EmuPostcopyMemory emuPostcopy() {
        return postcopyMemory;
    }

    /** Turns the access checks on (the running postcopy) or off (null). */
    void setPostcopy(EmuPostcopyMemory pc) {
        postcopy = pc;
    }

    @Override
    public DirtyLog dirtyLog() {
        return dirtyLog;
    }

    private void markDirty(long pfn) {
        long[] b = bitmap;
        if (b == null) {
            return;
        }
        VarHandle.fullFence(); // order the data store before the bit read; see class comment
        int w = (int) (pfn >>> 6);
        long bit = 1L << pfn;
        if ((b[w] & bit) == 0) {
            WORDS.getAndBitwiseOr(b, w, bit);
        }
    }

    private void markDirty(long pfn, int pages) {
        long[] b = bitmap;
        if (b == null || pages == 0) {
            return;
        }
        VarHandle.fullFence();
        long end = pfn + pages;
        long p = pfn;
        while (p < end) {
            int w = (int) (p >>> 6);
            int from = (int) (p & 63);
            int to = (int) Math.min(64, end - ((long) w << 6));
            long mask = (to == 64 ? -1L : (1L << to) - 1) & (-1L << from);
            if ((b[w] & mask) != mask) {
                WORDS.getAndBitwiseOr(b, w, mask);
            }
            p = ((long) w + 1) << 6;
        }
    }

    private final class DirtyLogImpl implements DirtyLog {
        @Override
        public synchronized void start() {
            if (bitmap != null) {
                throw new IllegalStateException("the dirty log of VM '" + owner
                        + "' is already running (another migration owns it)");
            }
            bitmap = new long[(int) ((pageCount + 63) >>> 6)];
        }

        @Override
        public synchronized PageSet sync() {
            long[] b = bitmap;
            if (b == null) {
                throw new IllegalStateException("the dirty log of VM '" + owner + "' is not running");
            }
            long[] out = new long[b.length];
            for (int i = 0; i < b.length; i++) {
                if ((long) WORDS.getOpaque(b, i) != 0) {
                    out[i] = (long) WORDS.getAndSet(b, i, 0L);
                }
            }
            return PageSet.ofBitmap(pageCount, out);
        }

        @Override
        public synchronized void stop() {
            bitmap = null;
        }

        @Override
        public boolean isLogging() {
            return bitmap != null;
        }

        @Override
        public boolean isPrecise() {
            return true;
        }
    }
}
