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

/** Completes a provider name of the family given as the command's first argument. */
@Service
public class ProviderNameCompleter implements Completer {
    @Reference
    ProviderCatalog catalog;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        List<String> names = TypedArguments.firstArgument(commandLine).flatMap(Family::byId)
                .map(f -> catalog.providers(f).stream().map(ProviderInfo::name).toList())
                .orElse(List.of());
        return new StringsCompleter(names).complete(session, commandLine, candidates);
    }
}
