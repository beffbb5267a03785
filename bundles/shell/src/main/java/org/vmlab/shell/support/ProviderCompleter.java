package org.vmlab.shell.support;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.api.provider.ProviderInfo;

/** Completes the provider names of one family, as installed right now. */
abstract class ProviderCompleter implements Completer {
    @Reference
    ProviderCatalog catalog;

    private final Family family;

    ProviderCompleter(Family family) {
        this.family = family;
    }

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        return new StringsCompleter(catalog.providers(family).stream().map(ProviderInfo::name).toList())
                .complete(session, commandLine, candidates);
    }
}
