package org.vmlab.api.migration;

/**
 * One transfer round.
 *
 * @param round           0 for the first (full) round, then 1, 2, ...
 * @param pagesSent       pages sent in this round, including re-sent ones
 * @param pagesResent     pages of them that had been sent in an earlier round
 * @param pagesZero       pages of them sent as zero pages (no content)
 * @param bytes           bytes put on all paths in this round
 * @param durationMs      how long the round took
 * @param dirtyPagesAtEnd pages found dirty by the sync that ended the round
 */
public record RoundStats(int round, long pagesSent, long pagesResent, long pagesZero, long bytes,
                         long durationMs, long dirtyPagesAtEnd) {
    public RoundStats {
        if (round < 0) {
            throw new IllegalArgumentException("round must be >= 0: " + round);
        }
        nonNegative("pagesSent", pagesSent);
        nonNegative("pagesResent", pagesResent);
        nonNegative("pagesZero", pagesZero);
        nonNegative("bytes", bytes);
        nonNegative("durationMs", durationMs);
        nonNegative("dirtyPagesAtEnd", dirtyPagesAtEnd);
        if (pagesResent > pagesSent || pagesZero > pagesSent) {
            throw new IllegalArgumentException("round " + round + ": pagesResent (" + pagesResent
                    + ") and pagesZero (" + pagesZero + ") cannot exceed pagesSent (" + pagesSent + ")");
        }
    }

    private static void nonNegative(String field, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " must be >= 0: " + value);
        }
    }
}
