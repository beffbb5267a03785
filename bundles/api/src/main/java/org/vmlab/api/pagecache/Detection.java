package org.vmlab.api.pagecache;

import java.util.Objects;

import org.vmlab.api.guest.PageCacheMap;

/**
 * What one detector found on one VM, checked against the disk.
 *
 * @param detector          the detector's {@code vmlab.name}
 * @param unsupportedReason why it cannot track the VM, or {@code null} when it can
 * @param map               the restorable pages it found (empty when unsupported)
 * @param detectionMillis   how long tracking and mapping took
 * @param guestCleanPages   the clean cached pages the guest OS itself knows, or -1 where the
 *                          backend cannot tell
 * @param wrongEntries      entries whose frame does not hold its block's bytes (should be 0), or -1
 *                          where the host cannot read the VM's disk
 * @since 1.1
 */
public record Detection(String detector, String unsupportedReason, PageCacheMap map, long detectionMillis,
                        long guestCleanPages, long wrongEntries) {

    public Detection {
        Objects.requireNonNull(detector, "detector");
        Objects.requireNonNull(map, "map");
    }

    public boolean isSupported() {
        return unsupportedReason == null;
    }
}
