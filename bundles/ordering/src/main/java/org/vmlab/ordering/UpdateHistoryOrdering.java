package org.vmlab.ordering;

import java.util.Arrays;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.ordering.OrderingPolicy;
import org.vmlab.api.ordering.PageHistory;
import org.vmlab.api.ordering.RoundContext;

/**
 * Staged transfer priority from each page's update history, after Nakai et al. (IPSJ): a page
 * that was updated in recent rounds is likely to be updated again before switchover, so sending
 * it early only means sending it twice. Each page gets a re-dirty likelihood from its recent
 * history, recent rounds weighing more (each older sync counts half the one after it), and the
 * round is sent in stages of rising likelihood: pages with no recent update first, the pages
 * updated in every recent round last. Unlike hot-last, which counts updates over the whole
 * migration, a page that was hot long ago but is quiet now moves to the front.
 */
@Component(service = OrderingPolicy.class, property = {
        "vmlab.family=ordering",
        "vmlab.name=update-history",
        "vmlab.description=staged priority from each page's recent update history: likely re-dirtied pages last (Nakai et al.)"})
public final class UpdateHistoryOrdering implements OrderingPolicy {
    /** The likelihood is quantised to this many stages; finer stages add nothing measurable. */
    static final int STAGES = 1 << 16;

    @Override
    public long[] order(RoundContext round) {
        PageHistory history = round.history();
        long[] pages = round.toSend().toArray();
        if (round.toSend().capacity() > (1L << 32)) {
            return Arrays.stream(pages).boxed()
                    .sorted(java.util.Comparator.comparingInt((Long pfn) -> stage(history, pfn)).thenComparing(pfn -> pfn))
                    .mapToLong(Long::longValue).toArray();
        }
        long[] keyed = new long[pages.length];
        for (int i = 0; i < pages.length; i++) {
            keyed[i] = ((long) stage(history, pages[i]) << 32) | pages[i];
        }
        Arrays.sort(keyed);
        for (int i = 0; i < keyed.length; i++) {
            pages[i] = keyed[i] & 0xFFFF_FFFFL;
        }
        return pages;
    }

    /**
     * The page's stage in [0, STAGES): its recent-update bits read as a binary fraction, the
     * latest sync the most significant bit, so 0 means no update in the last 64 syncs and
     * STAGES - 1 an update in each of the last 16.
     */
    static int stage(PageHistory history, long pfn) {
        long bits = history.recentBits(pfn);
        // Reverse so the latest sync (bit 0) becomes the most significant bit of the key.
        return (int) (Long.reverse(bits) >>> (64 - 16));
    }
}
