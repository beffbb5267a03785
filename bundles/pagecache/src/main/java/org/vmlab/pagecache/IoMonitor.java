package org.vmlab.pagecache;

import java.util.Arrays;

import org.vmlab.api.guest.IoEvent;
import org.vmlab.api.guest.IoListener;
import org.vmlab.api.guest.PageCacheMap;
import org.vmlab.api.memory.GuestMemory;

/**
 * What the host learns by watching one guest's disk I/O: a block read into a frame is remembered
 * with the frame's content hash at that moment; a guest write or an eviction forgets the frame; a
 * write-back remembers it again with its new content. At mapping time every remembered frame whose
 * content still hashes the same is restorable (matched by content, so a frame the guest reused
 * without disk I/O is dropped). Primitive arrays, one lock: the listener runs on the guest's I/O path.
 */
final class IoMonitor implements IoListener {
    private final GuestMemory memory;
    private final long[] blockOfFrame;
    private final long[] hashOfFrame;
    private long events;

    IoMonitor(GuestMemory memory) {
        this.memory = memory;
        int frames = Math.toIntExact(memory.pageCount());
        blockOfFrame = new long[frames];
        hashOfFrame = new long[frames];
        Arrays.fill(blockOfFrame, -1);
    }

    @Override
    public void onIo(IoEvent e) {
        int f = (int) e.pfn();
        switch (e.kind()) {
            case READ_MISS, WRITEBACK -> {
                long hash = memory.pageHash(f);
                synchronized (this) {
                    blockOfFrame[f] = e.block();
                    hashOfFrame[f] = hash;
                    events++;
                }
            }
            case WRITE, EVICT -> {
                synchronized (this) {
                    blockOfFrame[f] = -1;
                    events++;
                }
            }
            case READ_HIT -> {
                // nothing changed
            }
        }
    }

    /** Disk events seen (reads from disk, write-backs, writes, evictions). */
    synchronized long events() {
        return events;
    }

    /** The remembered frames whose content still matches what was read or written back. */
    PageCacheMap restorable() {
        long[] pfns;
        long[] blocks;
        long[] hashes;
        synchronized (this) {
            int n = 0;
            for (long b : blockOfFrame) {
                if (b >= 0) {
                    n++;
                }
            }
            pfns = new long[n];
            blocks = new long[n];
            hashes = new long[n];
            int i = 0;
            for (int f = 0; f < blockOfFrame.length; f++) {
                if (blockOfFrame[f] >= 0) {
                    pfns[i] = f;
                    blocks[i] = blockOfFrame[f];
                    hashes[i++] = hashOfFrame[f];
                }
            }
        }
        // Content match outside the lock: the guest's I/O goes on meanwhile.
        int kept = 0;
        for (int i = 0; i < pfns.length; i++) {
            if (memory.pageHash(pfns[i]) == hashes[i]) {
                pfns[kept] = pfns[i];
                blocks[kept++] = blocks[i];
            }
        }
        return PageCacheMap.of(Arrays.copyOf(pfns, kept), Arrays.copyOf(blocks, kept));
    }

    boolean isRestorable(long pfn, long block) {
        long hash;
        synchronized (this) {
            if (pfn < 0 || pfn >= blockOfFrame.length || blockOfFrame[(int) pfn] != block) {
                return false;
            }
            hash = hashOfFrame[(int) pfn];
        }
        return memory.pageHash(pfn) == hash;
    }
}
