package org.vmlab.emu;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.FrameRange;
import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.guest.IoEvent;
import org.vmlab.api.guest.IoListener;
import org.vmlab.api.guest.PageCacheMap;
import org.vmlab.api.memory.Pages;

/**
 * The guest "OS" of an emu VM: a page cache whose pages live in guest memory frames, over the VM's
 * disk, and an allocator of contiguous frames for anonymous memory.
 *
 * <p>Metadata, all primitive and sized for millions of frames: {@code int[] blockOfFrame} (-1 for
 * none, 4 B/frame), a {@link BlockFrameMap} block to frame (4 B per slot, load at most 0.7, grown
 * on demand), and four bitmaps (used, reserved, dirty-cached, referenced: 0.5 B/frame). An 8 GiB
 * guest (2 Mi frames) with a full cache holds about 8 + 16 + 1 = 25 MB. Free frames for the cache
 * are taken from the high end, reservations from the low end; under pressure a CLOCK
 * (second-chance) hand picks a clean unreferenced page, writing back a dirty one only if no clean
 * one is left. One lock guards everything (block loads happen under it): correct first.
 */
public final class EmuGuestOs implements GuestOs {
    private static final Logger LOG = LoggerFactory.getLogger(EmuGuestOs.class);

    private final String vmId;
    private final EmuGuestMemory memory;
    private final EmuDisk disk; // null without a disk
    private final long diskBlocks;
    private final int frames;

    private final ReentrantLock lock = new ReentrantLock();
    private final int[] blockOfFrame;
    private final BlockFrameMap blockMap;
    /** Frames that are cached or reserved (not free); bits past {@link #frames} are set. */
    private final long[] used;
    private final long[] reserved;
    private final long[] dirty;
    private final long[] referenced;
    private final TreeMap<Long, Long> reservations = new TreeMap<>();
    private final ByteBuffer buf = ByteBuffer.allocateDirect(Pages.SIZE);
    private final CopyOnWriteArrayList<IoListener> listeners = new CopyOnWriteArrayList<>();

    private long freeCount;
    private long cachedCount;
    private long dirtyCount;
    private int clockHand;
    /** Where the next search for a free cache frame starts (searching downwards). */
    private int freeCursor;

    EmuGuestOs(String vmId, EmuGuestMemory memory, EmuDisk disk) {
        this.vmId = vmId;
        this.memory = memory;
        this.disk = disk;
        this.diskBlocks = disk == null ? 0 : disk.blockCount();
        if (diskBlocks > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("disk of VM '" + vmId + "' has " + diskBlocks
                    + " blocks; emu supports at most " + Integer.MAX_VALUE);
        }
        long pages = memory.pageCount();
        if (pages > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("memory of VM '" + vmId + "' has too many pages: " + pages);
        }
        this.frames = (int) pages;
        this.blockOfFrame = new int[frames];
        java.util.Arrays.fill(blockOfFrame, -1);
        this.blockMap = new BlockFrameMap(blockOfFrame);
        int words = (frames + 63) >>> 6;
        used = new long[words];
        reserved = new long[words];
        dirty = new long[words];
        referenced = new long[words];
        if ((frames & 63) != 0) {
            used[words - 1] = -1L << (frames & 63);
        }
        freeCount = frames;
        freeCursor = frames - 1;
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

    @Override
    public PageCacheMap cleanPageCache() {
        lock.lock();
        try {
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
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long cachedPages() {
        lock.lock();
        try {
            return cachedCount;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long dirtyCachedPages() {
        lock.lock();
        try {
            return dirtyCount;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long diskBlocks() {
        return diskBlocks;
    }

    @Override
    public long freePages() {
        lock.lock();
        try {
            return freeCount;
        } finally {
            lock.unlock();
        }
    }

    /** The frame caching {@code block}, or -1 (for tests and detectors in this bundle). */
    public long frameOf(long block) {
        checkBlock(block);
        lock.lock();
        try {
            return blockMap.get((int) block);
        } finally {
            lock.unlock();
        }
    }

    /** Bytes of page-cache metadata held now (arrays and table). */
    public long metadataBytes() {
        lock.lock();
        try {
            return 4L * frames + 8L * 4 * used.length + blockMap.footprintBytes();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- I/O

    private void checkBlock(long block) {
        if (disk == null) {
            throw new VmlabException("VM '" + vmId + "' has no disk");
        }
        if (block < 0 || block >= diskBlocks) {
            throw new IndexOutOfBoundsException("block " + block + " out of disk [0, " + diskBlocks + ")");
        }
    }

    @Override
    public void read(long block, ByteBuffer dst) {
        checkBlock(block);
        if (dst.remaining() < Pages.SIZE) {
            throw new BufferOverflowException();
        }
        lock.lock();
        try {
            int f = blockMap.get((int) block);
            if (f >= 0) {
                memory.readPage(f, dst);
                set(referenced, f);
                fire(IoEvent.Kind.READ_HIT, block, f);
                return;
            }
            f = takeFrame();
            try {
                buf.clear();
                disk.read(block, buf);
                buf.flip();
                memory.writePage(f, buf); // through guest memory: the dirty log sees the load
            } catch (RuntimeException e) {
                untakeFrame(f); // e.g. a postcopy fault on the frame: as if never taken
                throw e;
            }
            install(f, (int) block);
            set(referenced, f);
            memory.readPage(f, dst);
            fire(IoEvent.Kind.READ_MISS, block, f);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void write(long block, ByteBuffer src) {
        checkBlock(block);
        if (src.remaining() < Pages.SIZE) {
            throw new BufferUnderflowException();
        }
        lock.lock();
        try {
            int f = blockMap.get((int) block);
            if (f < 0) {
                f = takeFrame();
                try {
                    memory.writePage(f, src);
                } catch (RuntimeException e) {
                    untakeFrame(f); // e.g. a postcopy fault on the frame: as if never taken
                    throw e;
                }
                install(f, (int) block);
            } else {
                memory.writePage(f, src);
            }
            if (!get(dirty, f)) {
                set(dirty, f);
                dirtyCount++;
            }
            set(referenced, f);
            fire(IoEvent.Kind.WRITE, block, f);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void writeBack() {
        if (disk == null) {
            return;
        }
        lock.lock();
        try {
            if (dirtyCount == 0) {
                return;
            }
            for (int w = 0; w < dirty.length; w++) {
                long bits = dirty[w];
                while (bits != 0) {
                    int f = (w << 6) + Long.numberOfTrailingZeros(bits);
                    bits &= bits - 1;
                    writeBackFrame(f);
                }
            }
            disk.flush();
        } finally {
            lock.unlock();
        }
    }

    private void writeBackFrame(int f) {
        int b = blockOfFrame[f];
        buf.clear();
        memory.readPage(f, buf);
        buf.flip();
        disk.write(b, buf);
        clear(dirty, f);
        dirtyCount--;
        fire(IoEvent.Kind.WRITEBACK, b, f);
    }

    private void install(int f, int block) {
        blockOfFrame[f] = block;
        blockMap.put(f);
        cachedCount++;
    }

    /** Drops frame {@code f} from the cache (it must be clean); it becomes free. */
    private void evict(int f) {
        int b = blockOfFrame[f];
        blockMap.remove(b);
        blockOfFrame[f] = -1;
        clear(referenced, f);
        clear(used, f);
        cachedCount--;
        freeCount++;
        fire(IoEvent.Kind.EVICT, b, f);
    }

    /** A frame for the cache, marked used; evicts under pressure. */
    private int takeFrame() {
        if (freeCount == 0) {
            evict(victim());
        }
        int f = findFreeDownwards();
        set(used, f);
        freeCount--;
        return f;
    }

    /** Gives back a frame {@link #takeFrame()} returned but that was not installed. */
    private void untakeFrame(int f) {
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

    /** CLOCK: a clean, unreferenced cached frame; a dirty one (written back) if none is clean. */
    private int victim() {
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
        writeBackFrame(dirtyCandidate);
        return dirtyCandidate;
    }

    // ---------------------------------------------------------------- anonymous memory

    @Override
    public FrameRange reserve(long pages) {
        if (pages < 1) {
            throw new IllegalArgumentException("pages to reserve must be >= 1: " + pages);
        }
        lock.lock();
        try {
            if (pages > frames) {
                throw new VmlabException("the guest of VM '" + vmId + "' has " + frames
                        + " frames in all; cannot reserve " + pages);
            }
            int n = (int) pages;
            int first = findRun(n, used);
            if (first < 0) {
                first = findRun(n, reserved);
            }
            if (first < 0) {
                throw new VmlabException("the guest of VM '" + vmId + "' has no " + pages
                        + " contiguous frames left to reserve");
            }
            // First empty the range (a write-back reads guest memory and may fault in postcopy;
            // each write-back and eviction is complete on its own), then mark it reserved.
            for (int f = first; f < first + n; f++) {
                if (blockOfFrame[f] >= 0) {
                    if (get(dirty, f)) {
                        writeBackFrame(f);
                    }
                    evict(f);
                }
            }
            for (int f = first; f < first + n; f++) {
                set(reserved, f);
                set(used, f);
            }
            freeCount -= n;
            reservations.put((long) first, (long) n);
            return new FrameRange(first, n);
        } finally {
            lock.unlock();
        }
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

    @Override
    public void release(FrameRange range) {
        Objects.requireNonNull(range, "range");
        lock.lock();
        try {
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
        } finally {
            lock.unlock();
        }
    }

    /** The reserved ranges, ascending. */
    public List<FrameRange> reservations() {
        lock.lock();
        try {
            List<FrameRange> out = new ArrayList<>();
            for (Map.Entry<Long, Long> e : reservations.entrySet()) {
                out.add(new FrameRange(e.getKey(), e.getValue()));
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- listeners

    @Override
    public void addIoListener(IoListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public void removeIoListener(IoListener listener) {
        listeners.remove(listener);
    }

    private void fire(IoEvent.Kind kind, long block, long pfn) {
        if (listeners.isEmpty()) {
            return;
        }
        IoEvent e = new IoEvent(kind, block, pfn, System.nanoTime());
        for (IoListener l : listeners) {
            try {
                l.onIo(e);
            } catch (RuntimeException ex) {
                LOG.warn("I/O listener {} of VM '{}' failed and is removed: {}", l, vmId, ex.toString());
                listeners.remove(l);
            }
        }
    }

    // ---------------------------------------------------------------- snapshot state

    /** The state a snapshot keeps: cached frames with blocks and dirty bits, reservations, hand. */
    record State(int[] frames, int[] blocks, boolean[] dirty, long[] reservedFirst,
                 long[] reservedCount, int clockHand) {
    }

    State exportState() {
        lock.lock();
        try {
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
            return new State(fs, bs, ds, rf, rc, clockHand);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Replaces the (empty) state with a snapshot's.
     *
     * @throws IllegalArgumentException naming what does not fit this guest
     */
    void importState(State s) {
        lock.lock();
        try {
            if (cachedCount != 0 || !reservations.isEmpty()) {
                throw new IllegalStateException("page cache of VM '" + vmId + "' is not empty");
            }
            boolean ok = false;
            try {
                importInto(s);
                ok = true;
            } finally {
                if (!ok) {
                    resetEmpty(); // all or nothing: a rejected state leaves the cache as it was
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Back to the state of a fresh guest: nothing cached, nothing reserved. Under the lock. */
    private void resetEmpty() {
        java.util.Arrays.fill(blockOfFrame, -1);
        blockMap.clear();
        java.util.Arrays.fill(used, 0);
        java.util.Arrays.fill(reserved, 0);
        java.util.Arrays.fill(dirty, 0);
        java.util.Arrays.fill(referenced, 0);
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

    private void importInto(State s) {
        {
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
                    set(dirty, f);
                    dirtyCount++;
                }
            }
            if (s.clockHand() < 0 || s.clockHand() >= frames) {
                throw new IllegalArgumentException("clock hand " + s.clockHand() + " is outside the guest");
            }
            clockHand = s.clockHand();
        }
    }
}
