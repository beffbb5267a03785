package org.vmlab.api.ordering;

import java.util.Map;
import java.util.Objects;

import org.vmlab.api.memory.PageSet;

/**
 * What a policy knows about the round it orders.
 *
 * @param round   0 for the first (full) round, then 1, 2, ... for the dirty rounds
 * @param toSend  the pages this round must send
 * @param history per-page update history up to the start of this round
 * @param seed    a per-migration seed, so randomised policies are reproducible from the plan
 * @param options the values of the policy's {@link OrderingPolicy#options()}, checked, with
 *                defaults filled in
 */
public record RoundContext(int round, PageSet toSend, PageHistory history, long seed, Map<String, String> options) {
    public RoundContext {
        if (round < 0) {
            throw new IllegalArgumentException("round must be >= 0: " + round);
        }
        Objects.requireNonNull(toSend, "toSend");
        Objects.requireNonNull(history, "history");
        options = options == null ? Map.of() : Map.copyOf(options);
    }

    /** A round of a policy without options. */
    public RoundContext(int round, PageSet toSend, PageHistory history, long seed) {
        this(round, toSend, history, seed, Map.of());
    }
}
