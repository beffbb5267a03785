package org.vmlab.api.tiering;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;
import org.vmlab.api.parameter.Parameter;

/**
 * Decides where the objects of a tiered memory live: where an object goes when first touched, and
 * which objects move between tiers at each rebalance. Registered with {@code vmlab.family=tiering}
 * and a unique {@code vmlab.name}. A pure function of what it is handed, like an ordering policy:
 * thread-safe, no state kept between calls.
 */
@ConsumerType
public interface TieringPolicy {

    /** The options it reads from {@link TierView#options()}; none by default. */
    default List<Parameter> options() {
        return List.of();
    }

    /**
     * The tier for {@code object}, touched for the first time. If that tier is full, the caller
     * takes the next one (by index) with room.
     */
    int place(TierView view, long object);

    /**
     * The moves to make now, in order; empty to leave everything where it is. Moves that would
     * overfill a tier, or name an object that is no longer where the move says, are skipped.
     */
    List<TierMove> rebalance(TierView view);
}
