package org.vmlab.api.experiment;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;

/**
 * One results folder, as {@code experiment:list} shows it.
 *
 * @param runId     the folder's name
 * @param name      the spec's name
 * @param status    {@code running}, {@code completed}, {@code failed} (some run failed) or
 *                  {@code interrupted}
 * @param runsDone  runs finished (completed or failed)
 * @param runsTotal runs planned
 * @param started   when the experiment started
 * @param ended     when it last ended, or {@code null} while running or if it never ended cleanly
 * @param directory the folder
 */
public record ExperimentSummary(String runId, String name, String status, int runsDone, int runsTotal,
                                Instant started, Instant ended, Path directory) {
    public ExperimentSummary {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(started, "started");
        Objects.requireNonNull(directory, "directory");
    }
}
