package org.vmlab.api.guest;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The guest OS of one VM as its backend can see it. Disk blocks are numbered in units of the VM
 * disk's {@link org.vmlab.api.storage.BlockDevice#blockSize() block size}, which equals the page
 * size, so one cached page holds exactly one block.
 */
@ProviderType
public interface GuestOs {

    /**
     * The clean page-cache pages right now: each frame whose content equals its disk block. A
     * snapshot; the guest may change it the moment after, which {@link IoListener}s observe.
     */
    PageCacheMap cleanPageCache();

    /** The number of page frames the guest page cache holds, clean or dirty. */
    long cachedPages();

    /** The number of cached pages written but not yet written back to disk. */
    long dirtyCachedPages();

    /** The guest disk's size in 4 KiB blocks; 0 for a guest without a disk. */
    long diskBlocks();

    /**
     * Reads a disk block through the page cache, as a guest file read does: a hit copies the
     * cached frame, a miss loads the block into a free frame (evicting a clean page under
     * memory pressure) and records frame to block.
     */
    void read(long block, ByteBuffer dst);

    /**
     * Writes a disk block through the page cache: the cached frame takes the data and becomes
     * dirty, so it is no longer restorable from disk until written back.
     */
    void write(long block, ByteBuffer src);

    /** Writes every dirty cached page back to the disk (a guest sync). */
    void writeBack();

    /**
     * Drops every clean cached page, as {@code echo 1 > /proc/sys/vm/drop_caches} does, and
     * hands the frames back zeroed (as a balloon or free-page hinting would), so a migration
     * need not send them; later reads go to the disk again. Dirty pages stay.
     *
     * @return the pages dropped
     * @since 1.1
     */
    long dropCleanCache();

    /** Frames neither reserved nor caching a block. */
    long freePages();

    /**
     * Reserves {@code pages} contiguous frames for anonymous memory (a process's heap), taking
     * them out of the page cache's reach; clean cached pages there are dropped, dirty ones
     * written back first.
     *
     * @throws org.vmlab.api.VmlabException if the guest has no such contiguous range
     */
    FrameRange reserve(long pages);

    /** Returns frames reserved by {@link #reserve(long)}. */
    void release(FrameRange range);

    void addIoListener(IoListener listener);

    void removeIoListener(IoListener listener);
}
