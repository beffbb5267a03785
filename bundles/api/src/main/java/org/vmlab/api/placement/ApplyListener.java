package org.vmlab.api.placement;

import org.osgi.annotation.versioning.ConsumerType;

/** Follows {@code cluster:apply} as it goes; every method does nothing by default. */
@ConsumerType
public interface ApplyListener {
    ApplyListener NONE = new ApplyListener() {
    };

    /** A move was handed to its source node. */
    default void onStart(Move move) {
    }

    /** A move ended. */
    default void onResult(MoveResult result) {
    }

    /** The membership changed: what is left is planned again in a new epoch. */
    default void onReplan(long epoch, String reason) {
    }
}
