package org.vmlab.shell.hotplug;

import java.util.List;
import java.util.TreeSet;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.shell.support.TypedArguments;

/** Completes the device ids of the VM named by the first argument (of every VM if none yet). */
@Service
public class DeviceCompleter implements Completer {
    @Reference
    VmDirectory directory;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        String vm = TypedArguments.firstArgument(commandLine).orElse(null);
        TreeSet<String> ids = new TreeSet<>();
        for (Vm v : directory.vms()) {
            if (vm == null || v.id().equals(vm)) {
                v.spec().devices().stream().map(DeviceSpec::id).forEach(ids::add);
                v.devices().stream().map(DeviceSpec::id).forEach(ids::add);
            }
        }
        return new StringsCompleter(ids).complete(session, commandLine, candidates);
    }
}
