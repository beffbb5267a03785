package org.vmlab.api.experiment;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Follows an experiment as it runs (the shell's progress bar, the dashboard). Called on the
 * experiment's thread: methods must return quickly. All do nothing by default.
 */
@ConsumerType
public interface ExperimentListener {

    /** A listener that ignores everything. */
    ExperimentListener NONE = new ExperimentListener() {
    };

    /**
     * The experiment starts (or resumes).
     *
     * @param runId     the results folder's name
     * @param total     planned runs
     * @param done      runs already finished before this start (non-zero on resume)
     */
    default void started(String runId, int total, int done) {
    }

    /** One planned run starts. */
    default void runStarted(PlannedRun run) {
    }

    /**
     * One planned run has ended.
     *
     * @param failure why it failed, or {@code null} if it completed
     */
    default void runEnded(PlannedRun run, String failure) {
    }

    /** One line worth showing (a step started, a migration's progress). */
    default void note(String line) {
    }
}
