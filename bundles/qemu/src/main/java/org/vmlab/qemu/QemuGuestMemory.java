package org.vmlab.qemu;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Optional;

import org.vmlab.api.memory.DirtyLog;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.memory.PostcopyMemory;
import org.vmlab.backend.support.memory.MappedGuestMemory;
import org.vmlab.backend.support.memory.MappedPages;
import org.vmlab.backend.support.memory.PageHash;

/**
 * A QEMU guest's RAM: the {@code memory-backend-file} QEMU maps with {@code share=on}, mapped
 * here too ({@link MappedPages}), so reads and writes are the guest's memory itself.
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
public final class QemuGuestMemory extends MappedGuestMemory {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final long ZERO_HASH = PageHash.ZERO;

    private final String owner;
    private final ContentDirtyLog dirtyLog = new ContentDirtyLog();
    /** Per-page hash at the last sync while the log runs, else null. */
    private volatile long[] syncHashes;
    /** Pages handed out with content other than the last sync's, while the log runs. */
    private volatile long[] sticky;

    private QemuGuestMemory(String owner, MappedPages ram) {
        super(ram);
        this.owner = owner;
    }

    /** Maps {@code sizeBytes} of an existing RAM file read-write and shared. */
    public static QemuGuestMemory map(String owner, Path file, long sizeBytes) throws IOException {
        return new QemuGuestMemory(owner, MappedPages.map(file, owner, sizeBytes));
    }

    /** Drops the mapping; later accesses throw IllegalStateException. */
    void close() {
        ram.close(); // first: a sync running now fails at once instead of finishing
        dirtyLog.stop();
    }





    @Override
    public void read(long pfn, int pages, ByteBuffer dst) {
        int at = dst.position();
        ram.read(pfn, pages, dst);
        long[] h = syncHashes;
        if (h != null) {
            ByteBuffer le = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < pages; i++) {
                handedOut(h, pfn + i, PageHash.of(le, at + i * Pages.SIZE));
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
        ram.write(pfn, pages, src);
    }

    @Override
    public long getLong(long offset) {
        return ram.getLong(offset);
    }

    @Override
    public void putLong(long offset, long value) {
        // No marking needed: the content-comparing dirty log sees it like any guest store.
        ram.putLong(offset, value);
    }

    @Override
    public long[] zeroBitmap(long from, long to) {
        long[] bits = ram.zeroBitmap(from, to);
        long[] h = syncHashes;
        if (h != null) {
            for (int w = 0; w < bits.length; w++) {
                for (long word = bits[w]; word != 0; word &= word - 1) {
                    handedOut(h, from + 64L * w + Long.numberOfTrailingZeros(word), ZERO_HASH);
                }
            }
        }
        return bits;
    }

    @Override
    public boolean isZero(long pfn) {
        if (!ram.isZero(pfn)) {
            return false;
        }
        long[] h = syncHashes;
        if (h != null) {
            handedOut(h, pfn, ZERO_HASH); // an engine sends "zero" for it
        }
        return true;
    }

    @Override
    public long pageHash(long pfn) {
        return ram.hash(pfn);
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
            if (pageCount() > Integer.MAX_VALUE) {
                throw new IllegalStateException("guest of VM '" + owner + "' too large for content dirty logging");
            }
            long[] h = new long[(int) pageCount()];
            inParallel((h.length + 63) >>> 6, (w0, w1) -> {
                for (int i = w0 << 6, end = (int) Math.min(h.length, (long) w1 << 6); i < end; i++) {
                    h[i] = ram.hash(i);
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
                        long now = ram.hash(i);
                        if (now != (long) LONGS.getOpaque(h, i)) {
                            LONGS.setOpaque(h, i, now);
                            word |= 1L << i;
                        }
                    }
                    bits[w] = word;
                }
            });
            return PageSet.ofBitmap(pageCount(), bits);
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
