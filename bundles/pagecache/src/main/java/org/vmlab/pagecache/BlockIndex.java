package org.vmlab.pagecache;

/**
 * Content hash to disk block, an open-addressing table of primitives (linear probing) for
 * millions of blocks. Blocks with equal content share one entry: any of them restores the page.
 * Built by one thread, then read by many.
 */
final class BlockIndex {
    private static final long EMPTY = 0;
    private final long[] keys;
    private final long[] blocks;
    private final int mask;
    private int size;
    /** The block of hash 0, which cannot be a key (0 marks an empty slot); -1 for none. */
    private long zeroHashBlock = -1;

    /** @param expected the most entries it will hold */
    BlockIndex(long expected) {
        int cap = Integer.highestOneBit((int) Math.min(1 << 30, Math.max(16, expected * 2))) << 1;
        keys = new long[cap];
        blocks = new long[cap];
        mask = cap - 1;
    }

    private int home(long k) {
        return (int) ((k * 0x9E3779B97F4A7C15L) >>> 33) & mask;
    }

    /** Adds {@code hash -> block} unless the hash is there already. */
    void put(long hash, long block) {
        if (hash == EMPTY) {
            if (zeroHashBlock < 0) {
                zeroHashBlock = block;
                size++;
            }
            return;
        }
        if ((size + 1) * 4L > keys.length * 3L) {
            throw new IllegalStateException("block index full: " + size + " entries");
        }
        long k = hash;
        int i = home(k);
        while (keys[i] != EMPTY) {
            if (keys[i] == k) {
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = k;
        blocks[i] = block;
        size++;
    }

    /** A block with this content hash, or -1. */
    long get(long hash) {
        if (hash == EMPTY) {
            return zeroHashBlock;
        }
        long k = hash;
        int i = home(k);
        while (keys[i] != EMPTY) {
            if (keys[i] == k) {
                return blocks[i];
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    int size() {
        return size;
    }
}
