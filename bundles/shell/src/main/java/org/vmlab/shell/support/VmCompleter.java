package org.vmlab.shell.support;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;

/** Completes the ids of the VMs of this node. */
@Service
public class VmCompleter implements Completer {
    @Reference
    VmDirectory directory;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        return new StringsCompleter(directory.vms().stream().map(Vm::id).toList()).complete(session, commandLine, candidates);
    }
}
