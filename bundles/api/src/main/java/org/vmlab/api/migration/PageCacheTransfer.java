package org.vmlab.api.migration;

import java.util.Objects;

/**
 * How a migration moved the guest's restorable page cache: by reference over the SAN path (the
 * destination read the blocks from shared storage) or as pages over the network.
 *
 * @param detector        the page-cache detector's {@code vmlab.name}, empty for none
 * @param split           the split policy: {@code adaptive} or {@code split=R} (R the network share)
 * @param mappedPages     restorable pages the detector reported when the migration started
 * @param pagesNetwork    of those, pages sent over the network
 * @param pagesSan        of those, pages the destination read from shared storage and kept
 * @param pagesMismatched pages read from shared storage whose hash differed from the source's
 *                        frame (a wrong map entry or a page written since), sent over the network instead
 * @param mappingTimeMs   how long the detector took to produce the map
 * @param sanTimeMs       from the first to the last SAN read
 * @since 1.5
 */
public record PageCacheTransfer(String detector, String split, long mappedPages, long pagesNetwork,
                                long pagesSan, long pagesMismatched, long mappingTimeMs, long sanTimeMs) {

    /** No page-cache transfer. */
    public static final PageCacheTransfer NONE = new PageCacheTransfer("", "", 0, 0, 0, 0, 0, 0);

    public PageCacheTransfer {
        Objects.requireNonNull(detector, "detector");
        Objects.requireNonNull(split, "split");
        if (mappedPages < 0 || pagesNetwork < 0 || pagesSan < 0 || pagesMismatched < 0 || mappingTimeMs < 0
                || sanTimeMs < 0) {
            throw new IllegalArgumentException("page-cache transfer counts must be >= 0");
        }
    }

    /** The share of the page cache that crossed the network (the split reached), 0 when none crossed. */
    public double networkShare() {
        long moved = pagesNetwork + pagesSan;
        return moved == 0 ? 0 : (double) pagesNetwork / moved;
    }
}
