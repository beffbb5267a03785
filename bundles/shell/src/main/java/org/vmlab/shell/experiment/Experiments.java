package org.vmlab.shell.experiment;

import java.io.PrintStream;
import java.util.Locale;

import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.experiment.AggregateRow;
import org.vmlab.api.experiment.ClaimCheck;
import org.vmlab.api.experiment.ExperimentResult;
import org.vmlab.api.experiment.ExperimentService;
import org.vmlab.api.experiment.ExperimentSummary;
import org.vmlab.shell.support.Json;

/** What the experiment commands share: the precondition and how results read on a terminal. */
final class Experiments {
    private Experiments() {
    }

    static void require(ExperimentService service) {
        if (service == null) {
            throw new IllegalStateException("experiments are not installed here (feature:install vmlab-experiment)");
        }
    }

    static ExperimentResult result(ExperimentService service, String runId) {
        return service.result(runId).orElseThrow(() -> new IllegalArgumentException("no results '" + runId + "' under "
                + service.resultsRoot() + "; experiment:list shows them"));
    }

    static void print(ExperimentResult r, PrintStream out) {
        ExperimentSummary s = r.summary();
        out.printf(Locale.ROOT, "Experiment %s (%s): %s, %d of %d runs%n", s.runId(), s.name(), s.status(), s.runsDone(), s.runsTotal());
        if (!r.table().isEmpty()) {
            ShellTable t = new ShellTable();
            t.column("Configuration");
            t.column("Metric");
            t.column("n").alignRight();
            t.column("Median").alignRight();
            t.column("Min").alignRight();
            t.column("Max").alignRight();
            t.column("95% CI").alignRight();
            t.column("vs baseline").alignRight();
            for (AggregateRow a : r.table()) {
                t.addRow().addContent(a.config(), a.metric(), a.n(), number(a.median()), number(a.min()), number(a.max()),
                        Double.isNaN(a.ciLow()) ? "-" : number(a.ciLow()) + " .. " + number(a.ciHigh()), ratio(a.vsBaseline()));
            }
            t.print(out);
        }
        if (!r.claims().isEmpty()) {
            out.println("The paper beside ours:");
            ShellTable t = new ShellTable();
            t.column("Metric");
            t.column("Configuration");
            t.column("Paper");
            t.column("Ours");
            t.column("Verdict");
            for (ClaimCheck c : r.claims()) {
                t.addRow().addContent(c.metric(), c.config(), c.paper(), c.ours(), c.verdict());
            }
            t.print(out);
        }
        for (String f : r.failures()) {
            out.println("failed: " + f);
        }
        if (!r.files().isEmpty()) {
            out.println("Files in " + s.directory() + ":");
            for (var f : r.files()) {
                out.println("  " + f);
            }
        }
    }

    /** A result for --json: paths and times as plain strings, NaN as null (the shell's Json). */
    static Object json(ExperimentResult r) {
        return Json.object("summary", summary(r.summary()), "baseline", r.baseline(), "table", r.table(), "claims", r.claims(),
                "failures", r.failures(), "files", r.files().stream().map(Object::toString).toList());
    }

    static java.util.Map<String, Object> summary(ExperimentSummary s) {
        return Json.object("runId", s.runId(), "name", s.name(), "status", s.status(), "runsDone", s.runsDone(),
                "runsTotal", s.runsTotal(), "started", s.started().toString(), "ended", s.ended() == null ? null : s.ended().toString(),
                "directory", s.directory().toString());
    }

    static String number(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.3g", v);
    }

    static String ratio(double r) {
        return Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%+.1f%%", (r - 1) * 100);
    }

}
