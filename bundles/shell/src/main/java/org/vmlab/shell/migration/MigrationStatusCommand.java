package org.vmlab.shell.migration;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.RoundStats;
import org.vmlab.api.migration.TimelineSample;
import org.vmlab.shell.support.Csv;
import org.vmlab.shell.support.Json;
import org.vmlab.shell.support.Reports;

@Service
@Command(scope = "migration", name = "status", description = "Shows a migration: its progress while it runs, its report once it ended.")
public class MigrationStatusCommand extends OneMigrationAction {

    @Option(name = "--csv", description = "Print a finished migration's per-round rows (rounds) or per-second timeline (timeline) as CSV")
    @Completion(value = org.apache.karaf.shell.support.completers.StringsCompleter.class, values = {"rounds", "timeline"})
    String csv;

    @Override
    void execute(Migration m) {
        CompletableFuture<MigrationReport> result = m.result().toCompletableFuture();
        if (result.isDone() && !result.isCompletedExceptionally()) {
            MigrationReport report = result.join();
            if (csv != null) {
                System.out.print(switch (csv) {
                    case "rounds" -> Csv.write(RoundStats.class, report.roundRows());
                    case "timeline" -> Csv.write(TimelineSample.class, report.timeline());
                    default -> throw new IllegalArgumentException("--csv takes rounds or timeline, not '" + csv + "'");
                });
            } else if (json) {
                System.out.println(Json.write(report));
            } else {
                Reports.print(report, System.out);
            }
            return;
        }
        if (csv != null) {
            throw new IllegalStateException("migration " + id + " has not ended; --csv needs its report");
        }
        Map<String, Object> s = MigrationViews.summary(m);
        s.put("progress", m.progress().orElse(null));
        if (json) {
            System.out.println(Json.write(s));
        } else {
            System.out.println(s.get("id") + ": " + s.get("status") + m.progress().map(p -> Reports.progressLine("", p).replace('\r', ' ')).orElse(""));
        }
    }
}
