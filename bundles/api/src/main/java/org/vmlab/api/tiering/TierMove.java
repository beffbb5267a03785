package org.vmlab.api.tiering;

import java.util.Objects;

/**
 * A policy's decision to move one object between tiers.
 *
 * @param key      the object
 * @param fromTier the tier it is in now
 * @param toTier   the tier it should move to, a different one
 */
public record TierMove(long key, String fromTier, String toTier) {
    public TierMove {
        Objects.requireNonNull(fromTier, "fromTier");
        Objects.requireNonNull(toTier, "toTier");
        if (fromTier.equals(toTier)) {
            throw new IllegalArgumentException(
                    "move of " + key + " has the same source and target tier: '" + toTier + "'");
        }
    }
}
