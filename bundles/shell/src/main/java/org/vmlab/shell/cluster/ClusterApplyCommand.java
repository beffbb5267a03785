package org.vmlab.shell.cluster;

import java.io.PrintStream;
import java.time.Duration;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import org.vmlab.api.VmlabException;
import org.vmlab.api.placement.ApplyListener;
import org.vmlab.api.placement.ApplyReport;
import org.vmlab.api.placement.ApplySettings;
import org.vmlab.api.placement.Move;
import org.vmlab.api.placement.MoveResult;
import org.vmlab.api.placement.PlacementService;
import org.vmlab.shell.support.EngineCompleter;
import org.vmlab.shell.support.Json;

@Service
@Command(scope = "cluster", name = "apply", description = "Plans with a placement policy and runs the migrations, "
        + "each on its source node, a few at once; prints one line per VM and a summary (VMs moved, bytes, time, "
        + "nodes freed). Runs on the leader only; when a node joins or leaves meanwhile, what is left is planned again.")
public class ClusterApplyCommand extends PolicyCommand {

    @Option(name = "--concurrency", aliases = "-c", description = "Migrations at once (default 2)")
    int concurrency = 2;

    @Option(name = "--engine", aliases = "-e", description = "Transfer engine (default: the family default)")
    @Completion(EngineCompleter.class)
    String engine;

    @Option(name = "--rate", aliases = "-r", description = "Link rate limit per migration, e.g. 1g (default unlimited)")
    String rate;

    @Option(name = "--no-verify", description = "Do not verify the moved VMs (verified by default)")
    boolean noVerify;

    @Option(name = "--timeout", description = "Seconds one migration may take (default 600)")
    int timeoutSeconds = 600;

    @Override
    public Object execute() {
        PlacementService p = placement();
        ApplySettings settings = new ApplySettings(concurrency, engine, !noVerify, rate, Duration.ofSeconds(timeoutSeconds));
        PrintStream out = System.out; // bound to this session on this thread only: hand it over
        ApplyReport report = p.apply(policy, policyOptions(), settings,
                json ? ApplyListener.NONE : new Lines(out));
        if (json) {
            out.println(Json.write(report));
        } else {
            summary(report, out);
        }
        if (report.status() != ApplyReport.Status.COMPLETED) {
            throw new VmlabException("cluster:apply " + report.policy() + " " + report.status().name().toLowerCase()
                    + (report.reason().isEmpty() ? ": " + failed(report) + " of " + report.moves().size() + " moves did not complete"
                    : ": " + report.reason()));
        }
        return null;
    }

    private static long failed(ApplyReport r) {
        return r.moves().stream().filter(m -> m.status() != MoveResult.Status.MOVED).count();
    }

    private static void summary(ApplyReport r, PrintStream out) {
        if (!r.moves().isEmpty()) {
            ShellTable table = new ShellTable();
            table.column("VM");
            table.column("From");
            table.column("To");
            table.column("Result");
            table.column("Verified");
            table.column("Time ms").alignRight();
            table.column("Network MiB").alignRight();
            table.column("Detail");
            for (MoveResult m : r.moves()) {
                table.addRow().addContent(m.vm(), m.from(), m.to(), m.status(), m.verified(), m.timeMs(),
                        ClusterViews.mib(m.bytesNetwork()), m.detail());
            }
            table.print(out);
        }
        out.printf("%s %s: %d VMs moved of %d moves, %s MiB on the network, %.1f s, nodes freed: %s; epochs %s%s%n",
                r.policy(), r.status().name().toLowerCase(), r.vmsMoved(), r.moves().size(), ClusterViews.mib(r.bytes()),
                r.totalTimeMs() / 1000.0, r.nodesFreed().isEmpty() ? "none" : String.join(", ", r.nodesFreed()),
                r.epochs(), r.reason().isEmpty() ? "" : "; " + r.reason());
    }

    /** One line per move as it starts and ends. */
    private record Lines(PrintStream out) implements ApplyListener {
        @Override
        public void onStart(Move m) {
            out.printf("-> %s: %s -> %s%n", m.vm(), m.from(), m.to());
            out.flush();
        }

        @Override
        public void onResult(MoveResult m) {
            out.printf("%s %s: %s -> %s, %s%s%n", m.status() == MoveResult.Status.MOVED ? "ok" : "!!", m.vm(), m.from(),
                    m.to(), m.status().name().toLowerCase(), m.detail().isEmpty() ? ", " + m.timeMs() + " ms, verified " + m.verified()
                            : ": " + m.detail());
            out.flush();
        }

        @Override
        public void onReplan(long epoch, String reason) {
            out.println("== epoch " + epoch + ": " + reason);
            out.flush();
        }
    }
}
