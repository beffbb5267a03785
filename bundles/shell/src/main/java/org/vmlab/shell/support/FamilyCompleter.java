package org.vmlab.shell.support;

import java.util.Arrays;
import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vmlab.api.provider.Family;

/** Completes family ids: backend, workload, engine, ... */
@Service
public class FamilyCompleter implements Completer {

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        StringsCompleter ids = new StringsCompleter(Arrays.stream(Family.values()).map(Family::id).toList());
        return ids.complete(session, commandLine, candidates);
    }
}
