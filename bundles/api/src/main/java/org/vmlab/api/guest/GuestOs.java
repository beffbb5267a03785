package org.vmlab.api.guest;

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

    void addIoListener(IoListener listener);

    void removeIoListener(IoListener listener);
}
