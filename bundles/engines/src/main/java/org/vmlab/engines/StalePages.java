package org.vmlab.engines;

import java.util.BitSet;

import org.vmlab.api.memory.PageSet;

/**
 * Pages whose copy at the destination may be out of date: all at first; a page is cleared once
 * sent and set again by every dirty-log sync that finds it written. Thread-safe.
 */
final class StalePages {
    private final long pageCount;
    private final BitSet stale;

    StalePages(long pageCount) {
        this.pageCount = pageCount;
        this.stale = new BitSet(Math.toIntExact(pageCount));
        stale.set(0, (int) pageCount);
    }

    synchronized void mark(PageSet dirty) {
        dirty.forEach(pfn -> stale.set((int) pfn));
    }

    synchronized void clear(long pfn) {
        stale.clear((int) pfn);
    }

    /** Clears every page of {@code pages}. */
    synchronized void clear(PageSet pages) {
        stale.andNot(BitSet.valueOf(pages.toBitmap()));
    }

    /** Clears pages that were just sent. */
    synchronized void clear(long[] sent) {
        for (long pfn : sent) {
            stale.clear((int) pfn);
        }
    }

    synchronized long count() {
        return stale.cardinality();
    }

    /** The stale pages now. */
    synchronized PageSet snapshot() {
        return PageSet.ofBitmap(pageCount, stale.toLongArray());
    }

    /** A copy the caller may change. */
    synchronized BitSet copy() {
        return (BitSet) stale.clone();
    }
}
