package org.vmlab.api.pagecache;

import org.osgi.annotation.versioning.ConsumerType;
import org.vmlab.api.guest.PageCacheMap;

/**
 * Keeps a VM's restorable page cache known while the guest runs. Implemented by the detector that
 * returned it, hence a consumer type. Thread-safe.
 */
@ConsumerType
public interface PageCacheTracker extends AutoCloseable {

    /**
     * The frames whose content equals the named disk block right now. A frame the guest may have
     * changed since must not be listed: a wrong entry corrupts the migrated guest.
     */
    PageCacheMap restorable();

    /**
     * Whether {@code pfn} still holds exactly {@code block}; engines ask at switchover, with the
     * VM paused, before sending a page by reference.
     */
    boolean isRestorable(long pfn, long block);

    /** Stops tracking and removes any listeners it installed; idempotent. */
    @Override
    void close();
}
