package org.vmlab.shell.support;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vmlab.api.tiering.TierModel;
import org.vmlab.api.tiering.TieringService;

/** Completes the tier model presets of the NVM emulator. */
@Service
public class TierModelCompleter implements Completer {
    @Reference(optional = true)
    TieringService tiering;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        List<String> names = tiering == null ? List.of() : tiering.presets().stream().map(TierModel::name).toList();
        return new StringsCompleter(names).complete(session, commandLine, candidates);
    }
}
