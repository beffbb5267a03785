package org.vmlab.ordering;

import java.util.Arrays;
import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.ordering.OrderingPolicy;
import org.vmlab.api.ordering.PageHistory;
import org.vmlab.api.ordering.RoundContext;
import org.vmlab.api.parameter.Parameter;

/**
 * Staged transfer priority from each page's update history, after Nakai et al. (IPSJ): a page
 * that was updated in recent rounds is likely to be updated again before switchover, so sending
 * it early only means sending it twice. Each page gets a re-dirty likelihood from its recent
 * history, recent rounds weighing more (each older sync counts half the one after it), and the
 * round is sent in stages of rising likelihood: pages with no recent update first, the pages
 * updated in every recent round last. Unlike hot-last, which counts updates over the whole
 * migration, a page that was hot long ago but is quiet now moves to the front.
 *
 * <p>The hottest pages, updated in at least {@code hold-syncs} of the last 16 syncs, are not sent at all
 * while they stay that hot: they are held back to the last stage, the switchover, where they go
 * once instead of once per round (option {@code hold-syncs}, 0 to hold none).
 */
@Component(service = OrderingPolicy.class, property = {
        "vmlab.family=ordering",
        "vmlab.name=update-history",
        "vmlab.description=staged priority from each page's recent update history: likely re-dirtied pages last (Nakai et al.)"})
public final class UpdateHistoryOrdering implements OrderingPolicy {
    /** The likelihood is quantised to this many stages; finer stages add nothing measurable. */
    static final int STAGES = 1 << 16;
    /** Syncs of recent history the hold-back looks at. */
    static final int WINDOW = 16;
    static final Parameter HOLD_SYNCS = Parameter.integer("hold-syncs", "1", 0, WINDOW,
            "update-history: hold back pages dirty in at least N of the last " + WINDOW
                    + " syncs until switchover (0 = hold none)");

    @Override
    public List<Parameter> options() {
        return List.of(HOLD_SYNCS);
    }

    @Override
    public PageSet holdBack(RoundContext round) {
        String v = round.options().getOrDefault(HOLD_SYNCS.name(), HOLD_SYNCS.defaultValue());
        int syncs = Integer.parseInt(v.trim());
        PageHistory history = round.history();
        if (syncs == 0 || history.syncs() < syncs) {
            return PageSet.empty(round.toSend().capacity());
        }
        long mask = (1L << WINDOW) - 1;
        long[] held = round.toSend().stream()
                .filter(pfn -> Long.bitCount(history.recentBits(pfn) & mask) >= syncs).toArray();
        return PageSet.of(round.toSend().capacity(), held);
    }

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
