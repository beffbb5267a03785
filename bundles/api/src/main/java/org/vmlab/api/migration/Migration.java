package org.vmlab.api.migration;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/** A running or finished migration, as {@link MigrationService} tracks it. Thread-safe. */
@ProviderType
public interface Migration {

    /** The plan's id. */
    String id();

    /** The plan, with engine and ordering names resolved to the providers actually used. */
    MigrationPlan plan();

    MigrationStatus status();

    /** The latest timeline sample; empty before the first. */
    Optional<TimelineSample> progress();

    /** The rounds finished so far (all of them once it has ended). */
    default List<RoundStats> rounds() {
        return List.of();
    }

    /** Completes with the report when the migration ends; never completes exceptionally. */
    CompletionStage<MigrationReport> result();

    /**
     * Asks the engine to stop; the migration ends {@link MigrationStatus#CANCELLED} unless it is
     * past switchover, in which case it completes. Does nothing if it has ended.
     */
    void cancel();
}
