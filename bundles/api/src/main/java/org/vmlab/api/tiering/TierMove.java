package org.vmlab.api.tiering;

/**
 * A policy's decision to move one object (a page frame) between tiers.
 *
 * @param object   the object, {@code 0 <= object < }{@link TierView#objects()}
 * @param fromTier the index of the tier it is in now (in {@link TierView#tiers()})
 * @param toTier   the index of the tier it should move to, a different one
 */
public record TierMove(long object, int fromTier, int toTier) {
    public TierMove {
        if (object < 0 || fromTier < 0 || toTier < 0) {
            throw new IllegalArgumentException("move " + object + ": " + fromTier + " -> " + toTier + " is negative");
        }
        if (fromTier == toTier) {
            throw new IllegalArgumentException("move of " + object + " has the same source and target tier " + toTier);
        }
    }
}
