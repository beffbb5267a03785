package org.vmlab.api.ordering;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Per-page update history an engine collects from its dirty-log syncs. Round {@code r} of the
 * history is the set of pages found dirty by the sync that ended round {@code r}.
 */
@ProviderType
public interface PageHistory {

    /** The number of dirty-log syncs recorded so far. */
    int syncs();

    /** How many recorded syncs found this page dirty. */
    int dirtyCount(long pfn);

    /** The index of the last sync that found this page dirty, or -1 if none did. */
    int lastDirtied(long pfn);

    /**
     * The recent history as bits: bit 0 is the latest sync, bit 1 the one before, and so on for at
     * most 64 syncs; a set bit means the page was dirty in that sync.
     */
    long recentBits(long pfn);
}
