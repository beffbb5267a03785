package org.vmlab.shell.experiment;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vmlab.api.experiment.ExperimentService;
import org.vmlab.api.experiment.ExperimentSummary;

/** Completes the run ids under the results folder. */
@Service
public class RunIdCompleter implements Completer {
    // Optional, so the bundle's other commands still register in a distribution without experiments.
    @Reference(optional = true)
    ExperimentService experiments;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        if (experiments == null) {
            return -1;
        }
        return new StringsCompleter(experiments.results().stream().map(ExperimentSummary::runId).toList())
                .complete(session, commandLine, candidates);
    }
}
