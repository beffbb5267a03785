package org.vmlab.api.guest;

import java.util.Arrays;
import java.util.OptionalLong;

import org.vmlab.api.memory.PageSet;

/**
 * An immutable map from page frame to the disk block whose content it holds, as two parallel
 * arrays sorted by frame: compact for millions of entries and searchable in O(log n).
 */
public final class PageCacheMap {
    private static final PageCacheMap EMPTY = new PageCacheMap(new long[0], new long[0]);

    private final long[] pfns;
    private final long[] blocks;

    private PageCacheMap(long[] pfns, long[] blocks) {
        this.pfns = pfns;
        this.blocks = blocks;
    }

    public static PageCacheMap empty() {
        return EMPTY;
    }

    /**
     * A map of {@code pfns[i] -> blocks[i]}. The arrays are copied and sorted by frame; they need
     * not be sorted on input.
     *
     * @throws IllegalArgumentException if the lengths differ, a value is negative, or a frame
     *                                  appears twice
     */
    public static PageCacheMap of(long[] pfns, long[] blocks) {
        if (pfns.length != blocks.length) {
            throw new IllegalArgumentException("page-cache map needs one block per frame: "
                    + pfns.length + " frames, " + blocks.length + " blocks");
        }
        long[] p = pfns.clone();
        long[] b = blocks.clone();
        for (int i = 0; i < p.length; i++) {
            if (p[i] < 0) {
                throw new IllegalArgumentException("negative page frame in page-cache map: " + p[i]);
            }
            if (b[i] < 0) {
                throw new IllegalArgumentException("negative block in page-cache map: " + b[i]
                        + " (frame " + p[i] + ")");
            }
        }
        if (!isSorted(p)) {
            sort(p, b);
        }
        for (int i = 1; i < p.length; i++) {
            if (p[i] == p[i - 1]) {
                throw new IllegalArgumentException("page frame " + p[i]
                        + " appears twice in page-cache map (blocks " + b[i - 1] + " and " + b[i] + ")");
            }
        }
        return p.length == 0 ? EMPTY : new PageCacheMap(p, b);
    }

    /** The number of frames mapped. */
    public int size() {
        return pfns.length;
    }

    public boolean isEmpty() {
        return pfns.length == 0;
    }

    public boolean contains(long pfn) {
        return Arrays.binarySearch(pfns, pfn) >= 0;
    }

    /** The block this frame holds, if it is mapped. */
    public OptionalLong blockOf(long pfn) {
        int i = Arrays.binarySearch(pfns, pfn);
        return i >= 0 ? OptionalLong.of(blocks[i]) : OptionalLong.empty();
    }

    /**
     * The mapped frames as a page set.
     *
     * @param capacity the page set's capacity, normally the guest's page count
     * @throws IllegalArgumentException if a mapped frame is not below {@code capacity}
     */
    public PageSet frames(long capacity) {
        if (pfns.length > 0 && pfns[pfns.length - 1] >= capacity) {
            throw new IllegalArgumentException("page frame " + pfns[pfns.length - 1]
                    + " of page-cache map is beyond capacity " + capacity);
        }
        return PageSet.of(capacity, pfns);
    }

    /** Calls {@code action} for every pair in ascending frame order. */
    public void forEach(PageBlockConsumer action) {
        for (int i = 0; i < pfns.length; i++) {
            action.accept(pfns[i], blocks[i]);
        }
    }

    /** The mapped frames in ascending order (a copy). */
    public long[] pfns() {
        return pfns.clone();
    }

    /** The blocks, in the order of {@link #pfns()} (a copy). */
    public long[] blocks() {
        return blocks.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PageCacheMap m && Arrays.equals(m.pfns, pfns)
                && Arrays.equals(m.blocks, blocks);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(pfns) * 31 + Arrays.hashCode(blocks);
    }

    @Override
    public String toString() {
        return "PageCacheMap[" + pfns.length + " frames]";
    }

    private static boolean isSorted(long[] a) {
        for (int i = 1; i < a.length; i++) {
            if (a[i] < a[i - 1]) {
                return false;
            }
        }
        return true;
    }

    /** Bottom-up merge sort of {@code keys}, moving {@code values} along. */
    private static void sort(long[] keys, long[] values) {
        int n = keys.length;
        long[] k = keys;
        long[] v = values;
        long[] k2 = new long[n];
        long[] v2 = new long[n];
        for (int width = 1; width < n; width <<= 1) {
            for (int lo = 0; lo < n; lo += width << 1) {
                int mid = Math.min(lo + width, n);
                int hi = Math.min(lo + (width << 1), n);
                int i = lo;
                int j = mid;
                for (int o = lo; o < hi; o++) {
                    if (i < mid && (j >= hi || k[i] <= k[j])) {
                        k2[o] = k[i];
                        v2[o] = v[i++];
                    } else {
                        k2[o] = k[j];
                        v2[o] = v[j++];
                    }
                }
            }
            long[] t = k;
            k = k2;
            k2 = t;
            t = v;
            v = v2;
            v2 = t;
        }
        if (k != keys) {
            System.arraycopy(k, 0, keys, 0, n);
            System.arraycopy(v, 0, values, 0, n);
        }
    }
}
