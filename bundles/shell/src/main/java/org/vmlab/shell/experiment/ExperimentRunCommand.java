package org.vmlab.shell.experiment;

import java.io.PrintStream;
import java.nio.file.Path;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.VmlabException;
import org.vmlab.api.experiment.ExperimentListener;
import org.vmlab.api.experiment.ExperimentPlan;
import org.vmlab.api.experiment.ExperimentResult;
import org.vmlab.api.experiment.ExperimentService;
import org.vmlab.api.experiment.PlannedRun;
import org.vmlab.shell.support.ClientPaths;
import org.vmlab.shell.support.Json;

@Service
@Command(scope = "experiment", name = "run", description = "Runs an experiment spec (YAML or JSON): every configuration of its sweep, "
        + "each repeated, into results/<run-id>/ with the spec as run, reports, time series, an aggregate table, plots and provenance. "
        + "A progress bar on a terminal; Ctrl-C stops after cleaning up the current run, and --resume goes on.")
public class ExperimentRunCommand implements Action {

    @Reference(optional = true)
    ExperimentService experiments;

    @Reference
    Session session;

    @Argument(index = 0, name = "spec", description = "The spec file (not with --resume)")
    @Completion(FileCompleter.class)
    String spec;

    @Option(name = "--dry-run", aliases = "-n", description = "Check the spec and list the runs it plans; run and write nothing")
    boolean dryRun;

    @Option(name = "--resume", description = "Run what an interrupted run id did not finish; its finished runs are kept")
    @Completion(RunIdCompleter.class)
    String resume;

    @Option(name = "--json", description = "Print the result (or, with --dry-run, the plan) as one JSON object; no progress bar")
    boolean json;

    @Override
    public Object execute() {
        Experiments.require(experiments);
        if ((spec == null) == (resume == null)) {
            throw new IllegalArgumentException("experiment:run needs a spec file or --resume RUN-ID (one of them): experiment:run experiments/ordering.yaml");
        }
        try {
            return run();
        } catch (VmlabException e) {
            // The service names the file by its absolute path; the user knows it by what they typed.
            String abs = spec == null ? null : ClientPaths.resolve(session, spec).toString();
            if (abs != null && e.getMessage() != null && e.getMessage().startsWith(abs + ":")) {
                throw new VmlabException(spec + e.getMessage().substring(abs.length()), e);
            }
            throw e;
        }
    }

    private Object run() {
        if (dryRun) {
            if (spec == null) {
                throw new IllegalArgumentException("--dry-run checks a spec file, not a --resume");
            }
            printPlan(experiments.plan(ClientPaths.resolve(session, spec)));
            return null;
        }
        PrintStream out = System.out; // bound to this session on this thread only: hand it to the bar
        boolean bar = !json && isTerminal();
        ExperimentResult result;
        try (ProgressBar progress = bar ? new ProgressBar(out, columns()) : null) {
            ExperimentListener listener = progress != null ? progress : json ? ExperimentListener.NONE : new Lines(out);
            result = resume != null ? experiments.resume(resume, listener)
                    : experiments.run(ClientPaths.resolve(session, spec), listener);
        }
        if (json) {
            System.out.println(Json.write(Experiments.json(result)));
        } else {
            Experiments.print(result, System.out);
        }
        if (!result.failures().isEmpty() && result.summary().runsDone() > 0
                && result.failures().stream().anyMatch(f -> !f.startsWith("plot "))) {
            long failed = result.failures().stream().filter(f -> !f.startsWith("plot ")).count();
            throw new VmlabException(failed + " of " + result.summary().runsTotal() + " runs failed; experiment:show "
                    + result.summary().runId() + " lists why");
        }
        return null;
    }

    private void printPlan(ExperimentPlan plan) {
        if (json) {
            System.out.println(Json.write(Json.object("name", plan.name(), "title", plan.title(), "figure", plan.figure(),
                    "spec", plan.spec().toString(), "configs", plan.configs(), "metrics", plan.metrics(), "runs", plan.runs())));
            return;
        }
        System.out.println("Experiment " + plan.name() + (plan.title().isEmpty() ? "" : ": " + plan.title()));
        System.out.println(plan.runs().size() + " runs (" + plan.configs().size() + " configurations); metrics: " + String.join(", ", plan.metrics()));
        ShellTable t = new ShellTable();
        t.column("Run").alignRight();
        t.column("Configuration");
        t.column("Repetition").alignRight();
        t.column("Baseline");
        for (PlannedRun r : plan.runs()) {
            t.addRow().addContent(r.index() + 1, r.config(), r.repetition(), r.baseline() ? "yes" : "");
        }
        t.print(System.out);
        System.out.println("Nothing was run (--dry-run).");
    }

    private boolean isTerminal() {
        Object tty = session.get("vmlab.tty");
        return tty instanceof Boolean b ? b : session.getTerminal() != null && !"dumb".equals(session.getTerminal().getType());
    }

    private int columns() {
        Object c = session.get("vmlab.columns");
        if (c instanceof Integer i && i > 0) {
            return i;
        }
        return session.getTerminal() != null ? session.getTerminal().getWidth() : 100;
    }

    /** Without a terminal: one line per run, for logs. */
    private static final class Lines implements ExperimentListener {
        private final PrintStream out;
        private volatile int total;

        Lines(PrintStream out) {
            this.out = out;
        }

        @Override
        public void started(String runId, int total, int done) {
            this.total = total;
            out.println("Experiment " + runId + ": " + total + " runs" + (done > 0 ? ", " + done + " already done" : ""));
        }

        @Override
        public void runEnded(PlannedRun run, String failure) {
            out.println("run " + (run.index() + 1) + "/" + total + " " + run.config() + " r" + run.repetition()
                    + (failure == null ? ": done" : ": failed: " + failure));
        }
    }

}
