package org.vmlab.storage.precache;

import org.vmlab.storage.block.BlockBitmap;

/**
 * What a session knows of each block, kept consistent under the state's lock: {@code cached}
 * (persisted) says the backup site holds the block's current content; {@code touched} says it was
 * written since the sender last read it; {@code invalid} says the backup site must be told to
 * forget any copy it has; and the last write time in seconds since the session started (for recency).
 */
final class PrecacheState {
    private final BlockBitmap cached;
    private final BlockBitmap touched;
    private final BlockBitmap invalid;
    /** Blocks sent and not yet acknowledged: not to be picked again meanwhile. */
    private final BlockBitmap inFlight;
    private final int[] lastWrite;
    private final long startMillis;
    private long writes;

    PrecacheState(BlockBitmap cached, long startMillis) {
        this.cached = cached;
        this.touched = BlockBitmap.inMemory(cached.size());
        this.invalid = BlockBitmap.inMemory(cached.size());
        this.inFlight = BlockBitmap.inMemory(cached.size());
        this.lastWrite = new int[(int) cached.size()];
        this.startMillis = startMillis;
    }

    long blocks() {
        return cached.size();
    }

    /** The VM wrote these blocks: the backup's copies are stale. */
    synchronized void written(long first, int count, long nowMillis) {
        int t = (int) Math.min(Integer.MAX_VALUE, (nowMillis - startMillis) / 1000 + 1);
        long end = Math.min(first + count, cached.size());
        for (long b = Math.max(0, first); b < end; b++) {
            touched.set(b);
            lastWrite[(int) b] = t;
            cached.clear(b);
            // Always: the backup may hold the block without our knowing (a copy in flight, or sent
            // before a restart whose acknowledgement was lost); a trim costs 28 bytes.
            invalid.set(b);
        }
        writes += count;
    }

    /** The sender is about to read the block. */
    synchronized void reading(long block) {
        touched.clear(block);
        inFlight.set(block);
    }

    /** The connection failed: nothing is in flight any more. */
    synchronized void lost() {
        inFlight.clearRange(0, inFlight.size());
    }

    /** The backup acknowledged the block as read; it is cached unless written since. */
    synchronized boolean acknowledged(long block) {
        inFlight.clear(block);
        if (touched.get(block)) {
            return false;
        }
        cached.set(block);
        invalid.clear(block);
        return true;
    }

    /**
     * The next run of blocks the backup must forget (at most {@code max}), removed from the set, as
     * {@code [first, count]}; null if none.
     */
    synchronized long[] takeInvalid(long from, int max) {
        long b = invalid.nextSet(from);
        if (b < 0) {
            return null;
        }
        int n = 0;
        while (n < max && b + n < invalid.size() && invalid.get(b + n)) {
            invalid.clear(b + n);
            n++;
        }
        return new long[] {b, n};
    }

    /** Whether the block is neither cached nor on its way. */
    synchronized boolean isSendable(long block) {
        return !cached.get(block) && !inFlight.get(block);
    }

    /** The first block at or after {@code from} that is neither cached nor on its way, or -1. */
    synchronized long nextUncached(long from) {
        for (long b = cached.nextClear(from); b >= 0; b = cached.nextClear(b + 1)) {
            if (!inFlight.get(b)) {
                return b;
            }
            long after = inFlight.nextClear(b);
            if (after < 0) {
                return -1;
            }
            b = after - 1;
        }
        return -1;
    }

    /** Seconds since the block was last written (Long.MAX_VALUE if never during this session). */
    synchronized long quietSeconds(long block, long nowMillis) {
        int t = lastWrite[(int) block];
        return t == 0 ? Long.MAX_VALUE : (nowMillis - startMillis) / 1000 + 1 - t;
    }

    synchronized long invalidCount() {
        return invalid.cardinality();
    }

    synchronized long cachedCount() {
        return cached.cardinality();
    }

    /** Blocks written since the session started whose new content the backup lacks. */
    synchronized long dirtyCount() {
        return touched.cardinality();
    }

    synchronized long writes() {
        return writes;
    }

    void force() {
        cached.force();
    }
}
