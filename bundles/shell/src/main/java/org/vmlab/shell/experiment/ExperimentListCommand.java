package org.vmlab.shell.experiment;

import java.util.List;
import java.util.Locale;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.experiment.ExperimentService;
import org.vmlab.api.experiment.ExperimentSummary;
import org.vmlab.shell.support.Json;

@Service
@Command(scope = "experiment", name = "list", description = "Lists the experiment results under the results folder, newest first.")
public class ExperimentListCommand implements Action {

    @Reference(optional = true)
    ExperimentService experiments;

    @Option(name = "--json", description = "Print one JSON array")
    boolean json;

    @Override
    public Object execute() {
        Experiments.require(experiments);
        List<ExperimentSummary> all = experiments.results();
        if (json) {
            System.out.println(Json.write(all.stream().map(Experiments::summary).toList()));
            return null;
        }
        if (all.isEmpty()) {
            System.out.println("No experiment results under " + experiments.resultsRoot() + ".");
            return null;
        }
        ShellTable t = new ShellTable();
        t.column("Run id");
        t.column("Spec");
        t.column("Status");
        t.column("Runs").alignRight();
        t.column("Started (UTC)");
        for (ExperimentSummary s : all) {
            t.addRow().addContent(s.runId(), s.name(), s.status(), s.runsDone() + "/" + s.runsTotal(),
                    s.started().toString().replace('T', ' ').replaceAll("\\.\\d+Z$|Z$", "").toLowerCase(Locale.ROOT));
        }
        t.print(System.out);
        return null;
    }
}
