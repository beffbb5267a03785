package org.vmlab.api.tiering;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a tiering policy is shown when asked to rebalance.
 *
 * @param tiers          the tiers by name (each model's own name), copied
 * @param usedBytes      bytes in use per tier; tiers without an entry hold nothing; copied
 * @param recentAccesses accesses since the previous rebalance, oldest first, copied
 * @param placement      the tier each object is in now, copied
 */
public record TierState(Map<String, TierModel> tiers, Map<String, Long> usedBytes,
                        List<AccessRecord> recentAccesses, Map<Long, String> placement) {
    public TierState {
        tiers = Map.copyOf(Objects.requireNonNull(tiers, "tiers"));
        tiers.forEach((name, model) -> {
            if (!name.equals(model.name())) {
                throw new IllegalArgumentException(
                        "tier listed as '" + name + "' is named '" + model.name() + "'");
            }
        });
        usedBytes = usedBytes == null ? Map.of() : Map.copyOf(usedBytes);
        for (Map.Entry<String, Long> e : usedBytes.entrySet()) {
            if (!tiers.containsKey(e.getKey())) {
                throw new IllegalArgumentException("usedBytes names unknown tier '" + e.getKey() + "'");
            }
            if (e.getValue() < 0) {
                throw new IllegalArgumentException(
                        "usedBytes of tier '" + e.getKey() + "' must be >= 0: " + e.getValue());
            }
        }
        recentAccesses = recentAccesses == null ? List.of() : List.copyOf(recentAccesses);
        placement = placement == null ? Map.of() : Map.copyOf(placement);
        for (Map.Entry<Long, String> e : placement.entrySet()) {
            if (!tiers.containsKey(e.getValue())) {
                throw new IllegalArgumentException("object " + e.getKey()
                        + " is placed in unknown tier '" + e.getValue() + "'");
            }
        }
    }

    /** The bytes in use in {@code tier}, 0 if none are recorded. */
    public long used(String tier) {
        return usedBytes.getOrDefault(tier, 0L);
    }
}
