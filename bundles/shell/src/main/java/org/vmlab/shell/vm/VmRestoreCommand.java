package org.vmlab.shell.vm;


import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.vmlab.api.vm.Vm;
import org.vmlab.shell.support.BackendCompleter;
import org.vmlab.shell.support.VmViews;

@Service
@Command(scope = "vm", name = "restore", description = "Recreates a VM from a snapshot file; it runs again where the snapshot was taken.")
public class VmRestoreCommand extends VmAction {

    @Argument(index = 0, name = "file", required = true, description = "Snapshot file")
    @Completion(FileCompleter.class)
    String file;

    @Option(name = "--backend", aliases = "-b", description = "Backend to restore on (default: the default backend)")
    @Completion(BackendCompleter.class)
    String backend;

    @Option(name = "--paused", description = "Leave the restored VM paused")
    boolean paused;

    @Override
    public Object execute() {
        Vm vm = directory.restore(file(file), backend);
        if (!paused) {
            vm.resume();
        }
        print(VmViews.detail(vm), "Restored " + vm.id() + " (" + vm.state() + ")");
        return null;
    }
}
