package org.vmlab.shell.support;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vmlab.api.vm.VmDirectory;

/** Completes the names of the installed VM backends. */
@Service
public class BackendCompleter implements Completer {
    @Reference
    VmDirectory directory;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        return new StringsCompleter(directory.backends()).complete(session, commandLine, candidates);
    }
}
