package org.vmlab.engines;

/**
 * The restorable page cache of one migration as one queue, ordered by disk block, shared by the
 * two paths: the network takes pages from the front, the SAN from the back. With no limit
 * (adaptive) they meet wherever their speeds bring them, so both finish together whatever those
 * speeds are and however they change (IEICE'16, without a hand-set parameter); with a limit the
 * network takes exactly the first {@code limit} pages and the SAN the rest (CLOUD'14's fixed R).
 * The SAN's share stays in block order, so adjacent blocks go in one request.
 */
final class CacheQueue {
    /** A run of the queue: indexes {@code [from, to)}; empty when {@code from == to}. */
    record Range(int from, int to) {
        int size() {
            return to - from;
        }

        boolean isEmpty() {
            return from == to;
        }
    }

    private final long[] pfns;
    private final long[] blocks;
    private final int limit;
    private int front;
    private int back;

    /**
     * @param pfns   frames, ordered by their blocks
     * @param blocks the blocks, ascending
     * @param limit  how many the network takes (fixed split), or -1 for adaptive
     */
    CacheQueue(long[] pfns, long[] blocks, int limit) {
        this.pfns = pfns;
        this.blocks = blocks;
        this.limit = limit;
        this.back = pfns.length;
    }

    /** A fixed split: the network share {@code r} of the pages, rounded. */
    static int limitFor(double r, int pages) {
        return (int) Math.round(r * pages);
    }

    int size() {
        return pfns.length;
    }

    long pfn(int i) {
        return pfns[i];
    }

    long block(int i) {
        return blocks[i];
    }

    /** Up to {@code max} pages from the front, for the network. */
    synchronized Range takeFront(int max) {
        int end = Math.min(back, front + max);
        if (limit >= 0) {
            end = Math.min(end, limit);
        }
        end = Math.max(end, front);
        Range r = new Range(front, end);
        front = end;
        return r;
    }

    /** Up to {@code max} pages from the back, for the SAN. */
    synchronized Range takeBack(int max) {
        int start = Math.max(front, back - max);
        if (limit >= 0) {
            start = Math.max(start, limit);
        }
        start = Math.min(start, back);
        Range r = new Range(start, back);
        back = start;
        return r;
    }

    /** Whether the SAN path gets any page at all. */
    boolean sanHasShare() {
        return limit < 0 || limit < pfns.length;
    }
}
