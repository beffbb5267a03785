package org.vmlab.shell.hotplug;

import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.vmlab.shell.support.VmCompleter;

@Service
@Command(scope = "job", name = "checkpoint", description = "Writes a consistent checkpoint of every VM of a job into a folder "
        + "(ranks held at one barrier, pass-through devices detached), then lets the job go on. job:restart reads it.")
public class JobCheckpointCommand extends HotplugAction {

    @Argument(index = 0, name = "dir", required = true, description = "Folder for the snapshots and job.properties")
    @Completion(FileCompleter.class)
    String dir;

    @Argument(index = 1, name = "vms", required = true, multiValued = true, description = "The job's VM ids")
    @Completion(VmCompleter.class)
    List<String> vms;

    @Override
    public Object execute() {
        print(coordinator().checkpoint(vms, path(dir), timeout(), progress()));
        return null;
    }
}
