package org.vmlab.emu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntConsumer;

import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.FrameRange;
import org.vmlab.api.guest.PageCacheMap;

/**
 * What the guest OS knows about each page frame, and how it picks frames: which block a frame
 * caches, which frames are used, reserved, dirty or recently referenced, the reserved ranges, and
 * the policies (free frames from the high end, reservations from the low end, a CLOCK hand for
 * eviction). It touches no memory and no disk; {@link EmuGuestOs} does the I/O and holds the lock
 * that guards this table.
 *
 * <p>All primitive and sized for millions of frames: {@code int[] blockOfFrame} (-1 for none,
 * 4 B/frame), a {@link BlockFrameMap} block to frame (4 B per slot, load at most 0.7, grown on
 * demand), and four bitmaps (0.5 B/frame). An 8 GiB guest (2 Mi frames) with a full cache holds
 * about 8 + 16 + 1 = 25 MB.
 */
final class FrameTable {
    private final String vmId;
    private final int frames;
    private final long diskBlocks;
    private final int[] blockOfFrame;
    private final BlockFrameMap blockMap;
    /** Frames that are cached or reserved (not free); bits past {@link #frames} are set. */
    private final long[] used;
    private final long[] reserved;
    private final long[] dirty;
    private final long[] referenced;
    private final TreeMap<Long, Long> reservations = new TreeMap<>();

    private long freeCount;
    private long cachedCount;
    private long dirtyCount;
    private int clockHand;
    /** Where the next search for a free cache frame starts (searching downwards). */
    private int freeCursor;

    FrameTable(String vmId, int frames, long diskBlocks) {
        this.vmId = vmId;
        this.frames = frames;
        this.diskBlocks = diskBlocks;
        this.blockOfFrame = new int[frames];
        this.blockMap = new BlockFrameMap(blockOfFrame);
        int words = (frames + 63) >>> 6;
        used = new long[words];
        reserved = new long[words];
        dirty = new long[words];
        referenced = new long[words];
        resetEmpty();
    }

    private static boolean get(long[] bits, int i) {
        return (bits[i >>> 6] & (1L << i)) != 0;
    }

    private static void set(long[] bits, int i) {
        bits[i >>> 6] |= 1L << i;
    }

    private static void clear(long[] bits, int i) {
        bits[i >>> 6] &= ~(1L << i);
    }

    // ---------------------------------------------------------------- queries

    long freeCount() {
        return freeCount;
    }

    long cachedCount() {
        return cachedCount;
    }

    long dirtyCount() {
        return dirtyCount;
    }

    /** The frame caching {@code block}, or -1. */
    int frameOf(int block) {
        return blockMap.get(block);
    }

    /** The block frame {@code f} caches, or -1. */
    int blockOf(int f) {
        return blockOfFrame[f];
    }

    boolean isDirty(int f) {
        return get(dirty, f);
    }

    /** Bytes of metadata held now (arrays and table). */
    long metadataBytes() {
        return 4L * frames + 8L * 4 * used.length + blockMap.footprintBytes();
    }

    /** The cached frames whose page equals its block on disk. */
    PageCacheMap cleanPageCache() {
        int n = (int) (cachedCount - dirtyCount);
        long[] pfns = new long[n];
        long[] blocks = new long[n];
        int k = 0;
        for (int f = 0; f < frames; f++) {
            int b = blockOfFrame[f];
            if (b >= 0 && !get(dirty, f)) {
                pfns[k] = f;
                blocks[k++] = b;
            }
        }
        return PageCacheMap.of(pfns, blocks);
    }

    /** Calls {@code action} with each dirty frame, ascending; it may mark the frame clean. */
    void forEachDirty(IntConsumer action) {
        for (int w = 0; w < dirty.length; w++) {
            long bits = dirty[w];
            while (bits != 0) {
                action.accept((w << 6) + Long.numberOfTrailingZeros(bits));
                bits &= bits - 1;
            }
        }
    }

    // ---------------------------------------------------------------- the page cache

    void reference(int f) {
        set(referenced, f);
    }

    void markDirty(int f) {
        if (!get(dirty, f)) {
            set(dirty, f);
            dirtyCount++;
        }
    }

    /** The frame's page was written back to its block. */
    void markClean(int f) {
        if (get(dirty, f)) {
            clear(dirty, f);
            dirtyCount--;
        }
    }

    /** Frame {@code f}, taken by {@link #takeFree()}, now caches {@code block}. */
    void install(int f, int block) {
        blockOfFrame[f] = block;
        blockMap.put(f);
        cachedCount++;
    }

    /** Drops clean frame {@code f} from the cache; it becomes free. Returns the block it cached. */
    int evict(int f) {
        int b = blockOfFrame[f];
        blockMap.remove(b);
        blockOfFrame[f] = -1;
        clear(referenced, f);
        clear(used, f);
        cachedCount--;
        freeCount++;
        return b;
    }

    /** A free frame, marked used; there must be one ({@link #freeCount()} &gt; 0). */
    int takeFree() {
        int f = findFreeDownwards();
        set(used, f);
        freeCount--;
        return f;
    }

    /** Gives back a frame {@link #takeFree()} returned that was not installed. */
    void untake(int f) {
        clear(used, f);
        freeCount++;
        freeCursor = f; // the next search finds it again first
    }

    private int findFreeDownwards() {
        int words = used.length;
        int w = freeCursor >>> 6;
        for (int n = 0; n <= words; n++) {
            long free = ~used[w];
            if (n == 0) {
                int bit = freeCursor & 63;
                free &= bit == 63 ? -1L : (1L << (bit + 1)) - 1; // bits at or below the cursor
            }
            if (free != 0) {
                int f = (w << 6) + 63 - Long.numberOfLeadingZeros(free);
                freeCursor = f == 0 ? frames - 1 : f - 1;
                return f;
            }
            w = w == 0 ? words - 1 : w - 1;
        }
        throw new IllegalStateException("free frame count is " + freeCount + " but none found");
    }

    /**
     * CLOCK: the cached frame to evict, a clean unreferenced one, or a dirty one (which the caller
     * writes back first) if none is clean.
     */
    int victim() {
        if (cachedCount == 0) {
            throw new VmlabException("the guest of VM '" + vmId
                    + "' is out of memory: every frame is reserved, none left for the page cache");
        }
        int dirtyCandidate = -1;
        long limit = 2L * frames + 1;
        for (long scanned = 0; scanned < limit; scanned++) {
            int f = clockHand;
            clockHand = f + 1 == frames ? 0 : f + 1;
            if (blockOfFrame[f] < 0) {
                continue;
            }
            if (get(referenced, f)) {
                clear(referenced, f);
                continue;
            }
            if (get(dirty, f)) {
                if (dirtyCandidate < 0) {
                    dirtyCandidate = f;
                }
                continue;
            }
            return f;
        }
        return dirtyCandidate;
    }

    // ---------------------------------------------------------------- anonymous memory

    /**
     * The lowest run of {@code n} frames to reserve: free ones if there are, else frames that
     * are free or only cache pages (which the caller then evicts); -1 if none.
     */
    int findRun(int n) {
        int first = findRun(n, used);
        return first >= 0 ? first : findRun(n, reserved);
    }

    /** The lowest run of {@code n} frames whose bits in {@code bits} are clear, or -1. */
    private int findRun(int n, long[] bits) {
        int run = 0;
        int f = 0;
        while (f < frames) {
            long word = bits[f >>> 6];
            if ((f & 63) == 0 && word == -1L) {
                run = 0;
                f += 64;
                continue;
            }
            if ((f & 63) == 0 && word == 0 && f + 64 <= frames) {
                if (run + 64 >= n) {
                    return f - run; // the run began before this all-clear word and ends in it
                }
                run += 64;
                f += 64;
                continue;
            }
            if ((word & (1L << f)) == 0) {
                run++;
                if (run == n) {
                    return f - n + 1;
                }
            } else {
                run = 0;
            }
            f++;
        }
        return -1;
    }

    /** Reserves frames [first, first + n), which cache nothing now. */
    void reserve(int first, int n) {
        for (int f = first; f < first + n; f++) {
            set(reserved, f);
            set(used, f);
        }
        freeCount -= n;
        reservations.put((long) first, (long) n);
    }

    void release(FrameRange range) {
        Long count = reservations.get(range.first());
        if (count == null || count != range.count()) {
            throw new IllegalArgumentException("frames [" + range.first() + ", " + range.end()
                    + ") of VM '" + vmId + "' were not reserved as one range");
        }
        reservations.remove(range.first());
        for (long f = range.first(); f < range.end(); f++) {
            clear(reserved, (int) f);
            clear(used, (int) f);
        }
        freeCount += range.count();
    }

    /** The reserved ranges, ascending. */
    List<FrameRange> reservations() {
        List<FrameRange> out = new ArrayList<>();
        for (Map.Entry<Long, Long> e : reservations.entrySet()) {
            out.add(new FrameRange(e.getKey(), e.getValue()));
        }
        return out;
    }

    // ---------------------------------------------------------------- snapshot state

    EmuGuestOs.State exportState() {
        int n = (int) cachedCount;
        int[] fs = new int[n];
        int[] bs = new int[n];
        boolean[] ds = new boolean[n];
        int k = 0;
        for (int f = 0; f < frames; f++) {
            if (blockOfFrame[f] >= 0) {
                fs[k] = f;
                bs[k] = blockOfFrame[f];
                ds[k++] = get(dirty, f);
            }
        }
        long[] rf = new long[reservations.size()];
        long[] rc = new long[rf.length];
        int i = 0;
        for (Map.Entry<Long, Long> e : reservations.entrySet()) {
            rf[i] = e.getKey();
            rc[i++] = e.getValue();
        }
        return new EmuGuestOs.State(fs, bs, ds, rf, rc, clockHand);
    }

    /**
     * Replaces the (empty) state with a snapshot's, all or nothing.
     *
     * @throws IllegalArgumentException naming what does not fit this guest
     */
    void importState(EmuGuestOs.State s) {
        if (cachedCount != 0 || !reservations.isEmpty()) {
            throw new IllegalStateException("page cache of VM '" + vmId + "' is not empty");
        }
        boolean ok = false;
        try {
            importInto(s);
            ok = true;
        } finally {
            if (!ok) {
                resetEmpty(); // a rejected state leaves the cache as it was
            }
        }
    }

    /** The state of a fresh guest: nothing cached, nothing reserved. */
    private void resetEmpty() {
        Arrays.fill(blockOfFrame, -1);
        blockMap.clear();
        Arrays.fill(used, 0);
        Arrays.fill(reserved, 0);
        Arrays.fill(dirty, 0);
        Arrays.fill(referenced, 0);
        if ((frames & 63) != 0) {
            used[used.length - 1] = -1L << (frames & 63);
        }
        reservations.clear();
        freeCount = frames;
        cachedCount = 0;
        dirtyCount = 0;
        clockHand = 0;
        freeCursor = frames - 1;
    }

    private void importInto(EmuGuestOs.State s) {
        for (int i = 0; i < s.reservedFirst().length; i++) {
            long first = s.reservedFirst()[i];
            long count = s.reservedCount()[i];
            if (first < 0 || count < 1 || first + count > frames) {
                throw new IllegalArgumentException("reserved range [" + first + ", "
                        + (first + count) + ") is outside the guest's " + frames + " frames");
            }
            for (long f = first; f < first + count; f++) {
                if (get(used, (int) f)) {
                    throw new IllegalArgumentException("reserved ranges overlap at frame " + f);
                }
                set(reserved, (int) f);
                set(used, (int) f);
            }
            reservations.put(first, count);
            freeCount -= count;
        }
        for (int i = 0; i < s.frames().length; i++) {
            int f = s.frames()[i];
            int b = s.blocks()[i];
            if (f < 0 || f >= frames) {
                throw new IllegalArgumentException("cached frame " + f + " is outside the guest's "
                        + frames + " frames");
            }
            if (b < 0 || b >= diskBlocks) {
                throw new IllegalArgumentException("cached block " + b + " is outside the disk's "
                        + diskBlocks + " blocks");
            }
            if (get(used, f)) {
                throw new IllegalArgumentException("frame " + f + " is cached twice or reserved");
            }
            if (blockMap.get(b) >= 0) {
                throw new IllegalArgumentException("block " + b + " is cached in two frames");
            }
            set(used, f);
            freeCount--;
            install(f, b);
            if (s.dirty()[i]) {
                markDirty(f);
            }
        }
        if (s.clockHand() < 0 || s.clockHand() >= frames) {
            throw new IllegalArgumentException("clock hand " + s.clockHand() + " is outside the guest");
        }
        clockHand = s.clockHand();
    }
}
