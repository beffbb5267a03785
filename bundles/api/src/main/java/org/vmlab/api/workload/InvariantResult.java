package org.vmlab.api.workload;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of a {@link MemoryInvariant} check.
 *
 * @param holds          whether the invariant holds
 * @param pagesChecked   pages examined, {@code >= 0}
 * @param steps          workload steps the memory reflects (e.g. updates completed), {@code >= 0}
 * @param firstBadPages  the first (at most {@value #MAX_BAD_PAGES}) pages that break it, in
 *                       ascending order; empty when it holds; copied
 * @param detail         one line for a user, e.g. what was wrong with the first bad page
 */
public record InvariantResult(boolean holds, long pagesChecked, long steps,
                              List<Long> firstBadPages, String detail) {

    /** The most bad pages a result lists. */
    public static final int MAX_BAD_PAGES = 10;

    public InvariantResult {
        if (pagesChecked < 0) {
            throw new IllegalArgumentException("pagesChecked must be >= 0: " + pagesChecked);
        }
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be >= 0: " + steps);
        }
        firstBadPages = firstBadPages == null ? List.of() : List.copyOf(firstBadPages);
        if (firstBadPages.size() > MAX_BAD_PAGES) {
            throw new IllegalArgumentException("firstBadPages lists at most " + MAX_BAD_PAGES
                    + " pages: " + firstBadPages.size());
        }
        if (holds && !firstBadPages.isEmpty()) {
            throw new IllegalArgumentException(
                    "invariant holds but firstBadPages is not empty: " + firstBadPages);
        }
        detail = Objects.requireNonNullElse(detail, "");
    }
}
