package org.vmlab.api.tiering;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Decides which objects move between tiers. Registered with {@code vmlab.family=tiering} and a
 * unique {@code vmlab.name}. Like ordering policies, a pure function of what it is handed:
 * thread-safe, keeping no state between calls.
 */
@ConsumerType
public interface TieringPolicy {

    /**
     * The moves to make now, in the order to make them; empty to leave everything where it is.
     * Moves that would overfill a tier are skipped by the caller.
     */
    List<TierMove> rebalance(TierState state);
}
