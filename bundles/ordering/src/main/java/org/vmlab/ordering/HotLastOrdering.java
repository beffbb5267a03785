package org.vmlab.ordering;

import java.util.Arrays;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.ordering.OrderingPolicy;
import org.vmlab.api.ordering.PageHistory;
import org.vmlab.api.ordering.RoundContext;

/**
 * Pages dirtied least often go first, the hottest last: a hot page sent early is likely to be
 * dirtied again and re-sent, one sent last has the least time left to change.
 */
@Component(service = OrderingPolicy.class, property = {
        "vmlab.family=ordering",
        "vmlab.name=hot-last",
        "vmlab.description=least frequently dirtied pages first, hottest last"})
public final class HotLastOrdering implements OrderingPolicy {

    @Override
    public long[] order(RoundContext round) {
        PageHistory history = round.history();
        long[] pages = round.toSend().toArray();
        if (round.toSend().capacity() > (1L << 32)) {
            return byCountThenFrame(pages, history);
        }
        // Sort (dirtyCount, pfn) pairs packed in one long: counts fit 31 bits, pfns 32 bits
        // (16 TiB of 4 KiB pages), which keeps the sort primitive and allocation-free per page.
        long[] keyed = new long[pages.length];
        for (int i = 0; i < pages.length; i++) {
            long count = Math.min(history.dirtyCount(pages[i]), Integer.MAX_VALUE);
            keyed[i] = (count << 32) | pages[i];
        }
        Arrays.sort(keyed);
        for (int i = 0; i < keyed.length; i++) {
            pages[i] = keyed[i] & 0xFFFF_FFFFL;
        }
        return pages;
    }

    /** The general path for guests beyond 16 TiB, where frame numbers do not fit the packing. */
    private static long[] byCountThenFrame(long[] pages, PageHistory history) {
        return Arrays.stream(pages).boxed()
                .sorted(java.util.Comparator.comparingInt((Long pfn) -> history.dirtyCount(pfn)).thenComparing(pfn -> pfn))
                .mapToLong(Long::longValue)
                .toArray();
    }
}
