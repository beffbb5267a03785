package org.vmlab.shell.support;

import java.util.ArrayList;
import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.console.Candidate;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.api.provider.ProviderInfo;

/**
 * Completes the value of {@code --option} or {@code --param}: {@code name=} of each setting the
 * selected providers describe (left open, so the value follows without a space), and
 * {@code help}, which prints them.
 */
abstract class SettingCompleter implements Completer {
    @Reference
    ProviderCatalog catalog;

    /** The providers whose settings apply to the command being typed (unknown names: none). */
    abstract List<ProviderInfo> providers(CommandLine line);

    @Override
    public int complete(Session session, CommandLine line, List<String> candidates) {
        String prefix = TypedArguments.prefix(line);
        for (String c : names(line)) {
            if (c.startsWith(prefix)) {
                candidates.add(c);
            }
        }
        return candidates.isEmpty() ? -1 : line.getBufferPosition() - line.getArgumentPosition();
    }

    @Override
    public void completeCandidates(Session session, CommandLine line, List<Candidate> candidates) {
        for (ProviderInfo p : providers(line)) {
            for (Parameter s : p.settings()) {
                candidates.add(new Candidate(s.name() + "=", s.name() + "=", SettingViews.owner(p), s.description(),
                        null, null, false));
            }
        }
        candidates.add(new Candidate(SettingHelp.HELP, SettingHelp.HELP, null, "list them", null, null, true));
    }

    /** {@code name=} of every setting, then {@code help}. */
    List<String> names(CommandLine line) {
        List<String> names = new ArrayList<>();
        for (ProviderInfo p : providers(line)) {
            for (Parameter s : p.settings()) {
                if (!names.contains(s.name() + "=")) {
                    names.add(s.name() + "=");
                }
            }
        }
        names.add(SettingHelp.HELP);
        return names;
    }
}
