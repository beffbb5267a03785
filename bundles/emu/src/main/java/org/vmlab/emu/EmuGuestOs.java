package org.vmlab.emu;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.guest.FrameRange;
import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.guest.IoEvent;
import org.vmlab.api.guest.IoListener;
import org.vmlab.api.guest.PageCacheMap;
import org.vmlab.api.memory.Pages;

/**
 * The guest "OS" of an emu VM: a page cache whose pages live in guest memory frames, over the VM's
 * disk, and an allocator of contiguous frames for anonymous memory. The {@link FrameTable} keeps
 * what each frame holds and picks frames (free ones from the high end, reservations from the low
 * end, under pressure a CLOCK hand evicts a clean unreferenced page, writing back a dirty one only
 * if no clean one is left); this class moves the pages between memory and disk and tells the I/O
 * listeners. One lock guards everything (block loads happen under it): correct first.
 */
public final class EmuGuestOs implements GuestOs {
    private static final Logger LOG = LoggerFactory.getLogger(EmuGuestOs.class);

    private final String vmId;
    private final EmuGuestMemory memory;
    private final BlockDevice disk; // null without a disk
    private final long diskBlocks;
    private final FrameTable table;

    private final ReentrantLock lock = new ReentrantLock();
    private final ByteBuffer buf = ByteBuffer.allocateDirect(Pages.SIZE);
    private final CopyOnWriteArrayList<IoListener> listeners = new CopyOnWriteArrayList<>();

    EmuGuestOs(String vmId, EmuGuestMemory memory, BlockDevice disk) {
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
        this.table = new FrameTable(vmId, (int) pages, diskBlocks);
    }

    private <T> T locked(Supplier<T> query) {
        lock.lock();
        try {
            return query.get();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- queries

    @Override
    public PageCacheMap cleanPageCache() {
        return locked(table::cleanPageCache);
    }

    @Override
    public long cachedPages() {
        return locked(table::cachedCount);
    }

    @Override
    public long dirtyCachedPages() {
        return locked(table::dirtyCount);
    }

    @Override
    public long diskBlocks() {
        return diskBlocks;
    }

    @Override
    public long freePages() {
        return locked(table::freeCount);
    }

    /** The frame caching {@code block}, or -1 (for tests and detectors in this bundle). */
    public long frameOf(long block) {
        checkBlock(block);
        return locked(() -> table.frameOf((int) block));
    }

    /** Bytes of page-cache metadata held now (arrays and table). */
    public long metadataBytes() {
        return locked(table::metadataBytes);
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
            int f = table.frameOf((int) block);
            if (f >= 0) {
                memory.readPage(f, dst);
                table.reference(f);
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
                table.untake(f); // e.g. a postcopy fault on the frame: as if never taken
                throw e;
            }
            table.install(f, (int) block);
            table.reference(f);
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
            int f = table.frameOf((int) block);
            if (f < 0) {
                f = takeFrame();
                try {
                    memory.writePage(f, src);
                } catch (RuntimeException e) {
                    table.untake(f); // e.g. a postcopy fault on the frame: as if never taken
                    throw e;
                }
                table.install(f, (int) block);
            } else {
                memory.writePage(f, src);
            }
            table.markDirty(f);
            table.reference(f);
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
            if (table.dirtyCount() == 0) {
                return;
            }
            table.forEachDirty(this::writeBackFrame);
            disk.flush();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long dropCleanCache() {
        ByteBuffer zero = ByteBuffer.allocate(Pages.SIZE);
        lock.lock();
        try {
            long[] clean = table.cleanPageCache().pfns();
            for (long pfn : clean) {
                int f = (int) pfn;
                int b = table.evict(f);
                memory.writePage(f, zero.clear());
                fire(IoEvent.Kind.EVICT, b, f);
            }
            return clean.length;
        } finally {
            lock.unlock();
        }
    }

    private void writeBackFrame(int f) {
        int b = table.blockOf(f);
        buf.clear();
        memory.readPage(f, buf);
        buf.flip();
        disk.write(b, buf);
        table.markClean(f);
        fire(IoEvent.Kind.WRITEBACK, b, f);
    }

    /** Drops frame {@code f} from the cache, writing it back first if it is dirty. */
    private void evict(int f) {
        if (table.isDirty(f)) {
            writeBackFrame(f);
        }
        int b = table.evict(f);
        fire(IoEvent.Kind.EVICT, b, f);
    }

    /** A frame for the cache, marked used; evicts under pressure. */
    private int takeFrame() {
        if (table.freeCount() == 0) {
            evict(table.victim());
        }
        return table.takeFree();
    }

    // ---------------------------------------------------------------- anonymous memory

    @Override
    public FrameRange reserve(long pages) {
        if (pages < 1) {
            throw new IllegalArgumentException("pages to reserve must be >= 1: " + pages);
        }
        lock.lock();
        try {
            long frames = memory.pageCount();
            if (pages > frames) {
                throw new VmlabException("the guest of VM '" + vmId + "' has " + frames
                        + " frames in all; cannot reserve " + pages);
            }
            int n = (int) pages;
            int first = table.findRun(n);
            if (first < 0) {
                throw new VmlabException("the guest of VM '" + vmId + "' has no " + pages
                        + " contiguous frames left to reserve");
            }
            // First empty the range (a write-back reads guest memory and may fault in postcopy;
            // each write-back and eviction is complete on its own), then mark it reserved.
            for (int f = first; f < first + n; f++) {
                if (table.blockOf(f) >= 0) {
                    evict(f);
                }
            }
            table.reserve(first, n);
            return new FrameRange(first, n);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void release(FrameRange range) {
        Objects.requireNonNull(range, "range");
        lock.lock();
        try {
            table.release(range);
        } finally {
            lock.unlock();
        }
    }

    /** The reserved ranges, ascending. */
    public List<FrameRange> reservations() {
        return locked(table::reservations);
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
        return locked(table::exportState);
    }

    /**
     * Replaces the (empty) state with a snapshot's; a rejected state leaves the cache as it was.
     *
     * @throws IllegalArgumentException naming what does not fit this guest
     */
    void importState(State s) {
        lock.lock();
        try {
            table.importState(s);
        } finally {
            lock.unlock();
        }
    }
}
