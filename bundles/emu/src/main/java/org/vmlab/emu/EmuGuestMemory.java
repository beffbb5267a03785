package org.vmlab.emu;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.vmlab.api.memory.DirtyLog;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.tiering.FrameTiers;
import org.vmlab.backend.support.memory.MappedGuestMemory;
import org.vmlab.backend.support.memory.MappedPages;

/**
 * Guest memory off the Java heap: a sparse file mapped by {@link MappedPages}, so a multi-GiB
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
public final class EmuGuestMemory extends MappedGuestMemory {

    /** Chunk size of the mapping (see {@link MappedPages}). */
    static final long CHUNK_SIZE = MappedPages.CHUNK_SIZE;

    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final String owner;
    private final Path file;
    private volatile boolean fileDeleted;
    private final DirtyLogImpl dirtyLog = new DirtyLogImpl();

    /** The bitmap while the log runs, else null. Writers read it once per write. */
    private volatile long[] bitmap;

    /**
     * The tiers of this guest's frames, or null for plain memory. Only accesses the guest makes
     * (on a vCPU, inside a guest step) are charged and counted; the host's (engines, snapshots,
     * verification) are not, as QEMU reading guest RAM is not a guest access.
     */
    private volatile FrameTiers tiers;

    /** The postcopy view of this memory (always the same object). */
    private final EmuPostcopyMemory postcopyMemory;
    /**
     * {@link #postcopyMemory} while postcopy runs, else null: every guest access reads this once
     * and, only if it is set, checks the page's missing bit before touching the page.
     */
    private volatile EmuPostcopyMemory postcopy;

    private EmuGuestMemory(String owner, MappedPages ram, Path file, boolean deleted) {
        super(ram);
        this.owner = owner;
        this.file = file;
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
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.setLength(sizeBytes); // sparse: setting the size allocates nothing
            }
            MappedPages ram = MappedPages.mapFresh(file, owner, sizeBytes); // only this JVM writes it
            boolean deleted;
            try {
                Files.delete(file);
                deleted = true;
            } catch (IOException e) {
                deleted = false; // e.g. Windows: delete on close instead
            }
            EmuGuestMemory mem = new EmuGuestMemory(owner, ram, file, deleted);
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

    /** Puts this memory's frames on tiers (null: plain memory again). */
    void setTiers(FrameTiers t) {
        tiers = t;
    }

    FrameTiers tiers() {
        return tiers;
    }

    /** Charges and counts a guest access to {@code pages} pages from {@code pfn}, if the memory is tiered. */
    private void tierAccess(long pfn, int pages, int bytes, boolean write) {
        FrameTiers t = tiers;
        if (t != null && EmuVcpus.inGuestStep()) {
            for (int i = 0; i < pages; i++) {
                t.access(pfn + i, bytes, write);
            }
        }
    }

    /** Drops the mapping and deletes the file; later accesses throw IllegalStateException. */
    void close() {
        FrameTiers t = tiers;
        if (t != null) {
            t.close();
        }
        EmuPostcopyMemory pc = postcopy;
        if (pc != null) {
            pc.abort("VM destroyed");
        }
        bitmap = null;
        if (!fileDeleted) {
            try {
                Files.deleteIfExists(file);
                fileDeleted = true;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        ram.close();
    }

    boolean isClosed() {
        return ram.isClosed();
    }



    /** Checks the range, then waits for its pages while postcopy runs. */
    private void access(long pfn, int pages) {
        ram.checkPages(pfn, pages);
        EmuPostcopyMemory pc = postcopy;
        if (pc != null) {
            pc.access(pfn, pages);
        }
    }

    /** Waits for the page of a checked word while postcopy runs. */
    private void accessWord(long offset) {
        EmuPostcopyMemory pc = postcopy;
        if (pc != null) {
            pc.access(offset >>> Pages.SHIFT);
        }
    }



    @Override
    public void read(long pfn, int pages, ByteBuffer dst) {
        access(pfn, pages);
        ram.read(pfn, pages, dst);
        tierAccess(pfn, pages, Pages.SIZE, false);
    }

    @Override
    public void write(long pfn, int pages, ByteBuffer src) {
        access(pfn, pages);
        ram.write(pfn, pages, src);
        tierAccess(pfn, pages, Pages.SIZE, true);
        if (pages == 1) {
            markDirty(pfn);
        } else {
            markDirty(pfn, pages);
        }
    }

    @Override
    public long getLong(long offset) {
        ram.checkWord(offset);
        accessWord(offset);
        long v = ram.getLong(offset);
        tierAccess(offset >>> Pages.SHIFT, 1, 8, false);
        return v;
    }

    @Override
    public void putLong(long offset, long value) {
        ram.checkWord(offset);
        accessWord(offset);
        ram.putLong(offset, value);
        tierAccess(offset >>> Pages.SHIFT, 1, 8, true);
        markDirty(offset >>> Pages.SHIFT);
    }

    @Override
    public boolean isZero(long pfn) {
        access(pfn, 1);
        return ram.isZero(pfn);
    }

    @Override
    public long[] zeroBitmap(long from, long to) {
        if (postcopy == null) {
            return ram.zeroBitmap(from, to);
        }
        // Pages may be missing: each is waited for as a guest access would.
        long[] bits = new long[(int) ((to - from + 63) >>> 6)];
        for (long pfn = from; pfn < to; pfn++) {
            if (isZero(pfn)) {
                bits[(int) ((pfn - from) >>> 6)] |= 1L << (pfn - from);
            }
        }
        return bits;
    }

    @Override
    public long pageHash(long pfn) {
        access(pfn, 1);
        return ram.hash(pfn);
    }

    /**
     * Writes a page without marking it dirty and without the postcopy check (loading a snapshot
     * into a fresh VM, and postcopy fills).
     */
    void fillFromSnapshot(long pfn, ByteBuffer src) {
        ram.write(pfn, 1, src);
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
            bitmap = new long[(int) ((pageCount() + 63) >>> 6)];
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
            return PageSet.ofBitmap(pageCount(), out);
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
