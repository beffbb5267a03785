package org.vmlab.api.tiering;

import java.util.Objects;

/**
 * One tier of a tiered memory as its owner uses it now.
 *
 * @param name          the tier's name within its owner, e.g. {@code dram}
 * @param model         its performance model
 * @param capacityBytes how much it holds
 * @param usedBytes     how much of that is in use, {@code <= capacityBytes}
 * @param counters      what it has charged
 */
public record TierUsage(String name, TierModel model, long capacityBytes, long usedBytes, TierCounters counters) {
    public TierUsage {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(model, "model");
        if (capacityBytes < 0 || usedBytes < 0) {
            throw new IllegalArgumentException("tier '" + name + "': capacity and use must be >= 0");
        }
        counters = counters == null ? TierCounters.ZERO : counters;
    }
}
