package org.vmlab.shell.support;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.api.provider.ProviderInfo;

/** Completes the names of the installed workloads. */
@Service
public class WorkloadCompleter implements Completer {
    @Reference
    ProviderCatalog catalog;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        return new StringsCompleter(catalog.providers(Family.WORKLOAD).stream().map(ProviderInfo::name).toList())
                .complete(session, commandLine, candidates);
    }
}
