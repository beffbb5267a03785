package org.vmlab.shell.support;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationService;

/** Completes migration ids, running and finished. */
@Service
public class MigrationCompleter implements Completer {
    // Optional, so the bundle's other commands still register in a distribution without engines.
    @Reference(optional = true)
    MigrationService migrations;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        if (migrations == null) {
            return -1;
        }
        return new StringsCompleter(migrations.migrations().stream().map(Migration::id).toList())
                .complete(session, commandLine, candidates);
    }
}
