package org.vmlab.engines;

import org.vmlab.api.memory.PageSet;
import org.vmlab.api.ordering.PageHistory;

/** {@link PageHistory} from a precopy engine's dirty-log syncs: counts, last sync, 64 recent bits. */
final class ArrayPageHistory implements PageHistory {
    private final int[] counts;
    private final int[] last;
    private final long[] bits;
    private int syncs;

    ArrayPageHistory(long pageCount) {
        int n = Math.toIntExact(pageCount);
        counts = new int[n];
        last = new int[n];
        bits = new long[n];
        java.util.Arrays.fill(last, -1);
    }

    /** Records one sync's dirty set. */
    synchronized void record(PageSet dirty) {
        int index = syncs++;
        for (int i = 0; i < bits.length; i++) {
            bits[i] <<= 1;
        }
        dirty.forEach(pfn -> {
            int p = (int) pfn;
            bits[p] |= 1L;
            counts[p]++;
            last[p] = index;
        });
    }

    @Override
    public synchronized int syncs() {
        return syncs;
    }

    @Override
    public synchronized int dirtyCount(long pfn) {
        return counts[index(pfn)];
    }

    @Override
    public synchronized int lastDirtied(long pfn) {
        return last[index(pfn)];
    }

    @Override
    public synchronized long recentBits(long pfn) {
        return bits[index(pfn)];
    }

    private int index(long pfn) {
        return (int) java.util.Objects.checkIndex(pfn, counts.length);
    }
}
