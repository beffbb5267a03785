package org.vmlab.api.migration;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Follows a migration as it runs (shell progress, experiment recording). Called on the engine's
 * threads: methods must return quickly; exceptions they throw are logged and ignored. All methods
 * do nothing by default, so a listener overrides only what it needs.
 */
@ConsumerType
public interface MigrationListener {

    /** A listener that ignores everything. */
    MigrationListener NONE = new MigrationListener() {
    };

    /** A new phase has begun. */
    default void onPhase(MigrationPhase phase) {
    }

    /** A transfer round has ended. */
    default void onRound(RoundStats round) {
    }

    /** About once a second. */
    default void onProgress(TimelineSample sample) {
    }
}
