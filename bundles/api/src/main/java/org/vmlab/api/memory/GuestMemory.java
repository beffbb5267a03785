package org.vmlab.api.memory;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The memory of one guest: {@link #pageCount()} pages of {@link Pages#SIZE} bytes addressed by
 * page frame number (pfn). Backends implement it over their own storage (a heap or mapped buffer
 * in emu, QEMU's shared {@code memory-backend-file} in qemu), so engines move real guest memory
 * without knowing which backend holds it.
 *
 * <p>All methods are safe to call from several threads, also while the guest's vCPUs run. A page
 * read while the guest writes it may be torn; the {@link #dirtyLog() dirty log} then reports it, so
 * engines resend it. Buffers follow the NIO convention: transfers start at the buffer's position
 * and advance it by the bytes moved. Every method taking a pfn throws
 * {@link IndexOutOfBoundsException} if a page it names is not in {@code [0, pageCount())}.
 */
@ProviderType
public interface GuestMemory {

    /** The guest's memory size, {@code pageCount() * Pages.SIZE}. */
    long sizeBytes();

    long pageCount();

    /**
     * Copies one page into {@code dst}.
     *
     * @throws java.nio.BufferOverflowException if {@code dst} has fewer than {@link Pages#SIZE}
     *                                          bytes remaining
     */
    void readPage(long pfn, ByteBuffer dst);

    /**
     * Replaces one page with the next {@link Pages#SIZE} bytes of {@code src}.
     *
     * @throws java.nio.BufferUnderflowException if {@code src} has fewer bytes remaining
     */
    void writePage(long pfn, ByteBuffer src);

    /**
     * Copies {@code pages} consecutive pages starting at {@code pfn} into {@code dst}; faster than
     * page by page for the large contiguous ranges of a first round.
     */
    void read(long pfn, int pages, ByteBuffer dst);

    /** Replaces {@code pages} consecutive pages starting at {@code pfn} from {@code src}. */
    void write(long pfn, int pages, ByteBuffer src);

    /**
     * Reads the 8-byte word at byte {@code offset} (a multiple of 8), as a guest instruction
     * would: what workloads use for counters and pointers.
     */
    long getLong(long offset);

    /**
     * Writes the 8-byte word at byte {@code offset} (a multiple of 8) and marks its page dirty,
     * as a guest store would.
     */
    void putLong(long offset, long value);

    /** Whether every byte of the page is zero, so engines can elide it. */
    boolean isZero(long pfn);

    /**
     * The zero pages of {@code [from, to)} as a bitmap: bit {@code i} of word {@code w} stands for
     * page {@code from + 64 * w + i}. What {@link #isZero} tells page by page, at memory
     * bandwidth: engines scan disjoint ranges on several threads at once.
     *
     * @param from the first page, a multiple of 64
     * @param to   the end of the range, at most {@link #pageCount()}
     */
    default long[] zeroBitmap(long from, long to) {
        if (from % 64 != 0 || from < 0 || to < from || to > pageCount()) {
            throw new IndexOutOfBoundsException("pages [" + from + ", " + to + ") of " + pageCount());
        }
        long[] bits = new long[(int) ((to - from + 63) >>> 6)];
        for (long pfn = from; pfn < to; pfn++) {
            if (isZero(pfn)) {
                bits[(int) ((pfn - from) >>> 6)] |= 1L << (pfn - from);
            }
        }
        return bits;
    }

    /**
     * A 64-bit hash of the page's content. Every backend computes the same function (XXH64 with
     * seed 0 over the page's 4096 bytes), so hashes taken on two nodes or two backends can be
     * compared; equal hashes mean equal pages with a collision risk of about 2<sup>-64</sup>.
     */
    long pageHash(long pfn);

    /**
     * Postcopy support: empty where the backend cannot make guest accesses wait for pages that
     * have not arrived yet.
     */
    java.util.Optional<PostcopyMemory> postcopy();

    /**
     * The dirty log of this memory. There is one per guest; it belongs to whoever started it (the
     * migration running on the VM).
     */
    DirtyLog dirtyLog();
}
