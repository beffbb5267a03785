package org.vmlab.emu;

/**
 * Block number to frame, an open-addressing hash table (linear probing, backward-shift
 * deletion) of {@code int} slots holding {@code frame + 1} (0 = empty). The key of a slot is not
 * stored: it is {@code blockOfFrame[frame]}, which the page cache keeps anyway, so an entry costs
 * 4 bytes at a load of at most 0.7 (5.7 to 11.4 bytes per cached frame). Not thread-safe; the
 * page cache guards it.
 */
final class BlockFrameMap {
    private static final int MIN_CAPACITY = 1024;

    private final int[] blockOfFrame;
    private int[] slots = new int[MIN_CAPACITY];
    private int mask = MIN_CAPACITY - 1;
    private int shift = 64 - Integer.numberOfTrailingZeros(MIN_CAPACITY);
    private int size;

    /** @param blockOfFrame the page cache's frame to block array, read for the keys */
    BlockFrameMap(int[] blockOfFrame) {
        this.blockOfFrame = blockOfFrame;
    }

    int size() {
        return size;
    }

    /** Bytes the table holds now. */
    long footprintBytes() {
        return 4L * slots.length;
    }

    private int home(int block) {
        return (int) ((block * 0x9E3779B97F4A7C15L) >>> shift);
    }

    /** The frame caching {@code block}, or -1. */
    int get(int block) {
        int i = home(block);
        while (true) {
            int s = slots[i];
            if (s == 0) {
                return -1;
            }
            if (blockOfFrame[s - 1] == block) {
                return s - 1;
            }
            i = (i + 1) & mask;
        }
    }

    /**
     * Adds {@code frame}, whose {@code blockOfFrame} entry must already name its block, which
     * must not be in the map.
     */
    void put(int frame) {
        if ((size + 1) * 10L > slots.length * 7L) {
            grow();
        }
        insert(frame);
        size++;
    }

    private void insert(int frame) {
        int i = home(blockOfFrame[frame]);
        while (slots[i] != 0) {
            i = (i + 1) & mask;
        }
        slots[i] = frame + 1;
    }

    /** Removes the entry of {@code block}; returns its frame or -1. */
    int remove(int block) {
        int i = home(block);
        while (true) {
            int s = slots[i];
            if (s == 0) {
                return -1;
            }
            if (blockOfFrame[s - 1] == block) {
                break;
            }
            i = (i + 1) & mask;
        }
        int frame = slots[i] - 1;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            int s = slots[j];
            if (s == 0) {
                break;
            }
            int k = home(blockOfFrame[s - 1]);
            boolean stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
            if (!stays) {
                slots[i] = s;
                i = j;
            }
        }
        slots[i] = 0;
        size--;
        return frame;
    }

    void clear() {
        slots = new int[MIN_CAPACITY];
        mask = MIN_CAPACITY - 1;
        shift = 64 - Integer.numberOfTrailingZeros(MIN_CAPACITY);
        size = 0;
    }

    private void grow() {
        int[] old = slots;
        int cap = old.length << 1;
        slots = new int[cap];
        mask = cap - 1;
        shift = 64 - Integer.numberOfTrailingZeros(cap);
        for (int s : old) {
            if (s != 0) {
                insert(s - 1);
            }
        }
    }
}
