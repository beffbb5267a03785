package org.vmlab.api.experiment;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Plans, runs and finds experiments; what the shell and the dashboard call. Results live under
 * {@link #resultsRoot()}, one folder per run id.
 */
@ProviderType
public interface ExperimentService {

    /**
     * Reads and checks a spec without running or writing anything: every run of the sweep is
     * expanded and every VM, provider, action and setting it names is checked against what is
     * installed now.
     *
     * @throws org.vmlab.api.VmlabException one line naming the file, line and field at fault
     */
    ExperimentPlan plan(Path spec);

    /**
     * Runs every planned run of {@code spec} in order and returns when all have ended, writing
     * {@code results/<run-id>/} as it goes. An interrupt of the calling thread stops after
     * cleaning up the current run; finished runs are kept for {@link #resume}.
     *
     * @throws org.vmlab.api.VmlabException if the spec is refused (then nothing is written) or
     *                                      the results folder cannot be written
     */
    ExperimentResult run(Path spec, ExperimentListener listener);

    /**
     * Runs what an interrupted run did not finish, from the spec stored with it; finished runs
     * are kept as they are.
     *
     * @throws org.vmlab.api.VmlabException if there is no such run id or it has nothing left
     */
    ExperimentResult resume(String runId, ExperimentListener listener);

    /** Every run id under {@link #resultsRoot()}, newest first. */
    List<ExperimentSummary> results();

    /** The stored result of one run id, aggregated from what is on disk. */
    Optional<ExperimentResult> result(String runId);

    /** The folder holding one sub-folder per run id. */
    Path resultsRoot();
}
