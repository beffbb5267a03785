package org.vmlab.shell.experiment;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.experiment.ExperimentResult;
import org.vmlab.api.experiment.ExperimentService;
import org.vmlab.shell.support.Json;

@Service
@Command(scope = "experiment", name = "show", description = "Shows one experiment's aggregate table (median, min, max, 95% CI, change against the baseline), "
        + "the paper's figures beside ours, failed runs and the files written.")
public class ExperimentShowCommand implements Action {

    @Reference(optional = true)
    ExperimentService experiments;

    @Argument(index = 0, name = "run-id", required = true, description = "The run id (experiment:list shows them)")
    @Completion(RunIdCompleter.class)
    String runId;

    @Option(name = "--json", description = "Print one JSON object")
    boolean json;

    @Override
    public Object execute() {
        Experiments.require(experiments);
        ExperimentResult r = Experiments.result(experiments, runId);
        if (json) {
            System.out.println(Json.write(Experiments.json(r)));
        } else {
            Experiments.print(r, System.out);
        }
        return null;
    }
}
