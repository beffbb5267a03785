package org.vmlab.api.tiering;

import java.util.List;
import java.util.Objects;

/**
 * The state of one tiered memory, for {@code tier:status}.
 *
 * @param owner          whose memory (a VM id)
 * @param policy         the tiering policy's name
 * @param tiers          the tiers, fastest first; used bytes are frames placed there
 * @param framesUnplaced frames never touched yet (in no tier)
 * @param promotions     frames moved to a faster tier so far
 * @param demotions      frames moved to a slower tier so far
 * @param movesPerSecond moves per second over the last rebalance interval that had any time
 * @param rebalances     rebalances run so far
 */
public record TierStatus(String owner, String policy, List<TierUsage> tiers, long framesUnplaced, long promotions,
                         long demotions, double movesPerSecond, long rebalances) {
    public TierStatus {
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(policy, "policy");
        tiers = List.copyOf(tiers);
    }
}
