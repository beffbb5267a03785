package org.vmlab.shell.vm;

import java.nio.file.Path;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.vmlab.api.vm.Vm;
import org.vmlab.shell.support.Json;

@Service
@Command(scope = "vm", name = "snapshot", description = "Writes a VM's memory, guest OS state and workload to a file that vm:restore reads back.")
public class VmSnapshotCommand extends OneVmAction {

    @Argument(index = 1, name = "file", required = true, description = "Snapshot file to write")
    @Completion(FileCompleter.class)
    String file;

    @Override
    void execute(Vm vm) {
        Path path = file(file);
        long start = System.nanoTime();
        vm.snapshot(path);
        long ms = (System.nanoTime() - start) / 1_000_000;
        print(Json.object("vm", vm.id(), "file", path.toString(), "millis", ms), "Snapshot of " + vm.id() + " written to " + path + " in " + ms + " ms");
    }
}
