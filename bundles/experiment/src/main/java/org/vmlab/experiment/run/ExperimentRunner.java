package org.vmlab.experiment.run;

import java.io.IOException;
import java.time.Instant;
import java.util.List;

import org.vmlab.api.VmlabException;
import org.vmlab.api.experiment.ExperimentListener;
import org.vmlab.api.experiment.PlannedRun;
import org.vmlab.experiment.plan.CheckedSpec;
import org.vmlab.experiment.store.ResultStore.RunFolder;
import org.vmlab.experiment.store.RunRecord;
import org.vmlab.experiment.store.State;
import org.vmlab.experiment.store.StoredResult;

/**
 * Runs the planned runs of a results folder that have not finished, in plan order, then
 * aggregates. An interrupt stops after the current run has been cleaned up; the runs finished so
 * far stay, and the state says {@code interrupted} until a resume completes them.
 */
final class ExperimentRunner {
    private final RunExecutor executor;
    private final Provenance provenance;

    ExperimentRunner(RunExecutor executor, Provenance provenance) {
        this.executor = executor;
        this.provenance = provenance;
    }

    StoredResult run(CheckedSpec checked, RunFolder folder, ExperimentListener listener) throws IOException {
        List<PlannedRun> runs = checked.plan().runs();
        int done = (int) runs.stream().filter(folder::isDone).count();
        folder.writeState(folder.state().with(State.RUNNING, null));
        provenance.started(folder.dir(), checked.spec().file());
        listener.started(folder.runId(), runs.size(), done);
        String tag = "x" + Integer.toHexString(folder.runId().hashCode() & 0xffffff);
        boolean interrupted = false;
        try {
            for (PlannedRun run : runs) {
                if (folder.isDone(run)) {
                    continue;
                }
                listener.runStarted(run);
                RunRecord record = executor.execute(run, checked.config(run), checked.warmup(), checked.timeout(),
                        folder.prepare(run), tag + "-" + run.index(), listener::note);
                folder.writeRun(run, record);
                listener.runEnded(run, record.failure());
            }
        } catch (InterruptedException e) {
            interrupted = true;
        } catch (IOException | RuntimeException e) {
            // The results folder could not be written: say so in it, rather than stay "running".
            folder.writeState(folder.state().with(State.FAILED, Instant.now().toString()));
            throw e;
        } finally {
            provenance.ended(folder.dir());
        }
        List<RunRecord> records = folder.runs();
        StoredResult result = ResultWriter.write(folder.dir(), folder.runId(), checked, records);
        String status = interrupted ? State.INTERRUPTED
                : records.stream().allMatch(RunRecord::completed) ? State.COMPLETED : State.FAILED;
        folder.writeState(folder.state().with(status, Instant.now().toString()));
        if (interrupted) {
            Thread.currentThread().interrupt();
            throw new VmlabException("interrupted after " + records.size() + " of " + runs.size()
                    + " runs; the finished ones are kept: experiment:run --resume " + folder.runId() + " goes on");
        }
        return result;
    }
}
