package org.vmlab.shell.hotplug;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;

@Service
@Command(scope = "job", name = "restart", description = "Restarts a job from a job:checkpoint folder on this instance: VMs of the same "
        + "names (e.g. the survivors of a failure) are replaced, pass-through devices attached, the ranks resumed at the checkpoint's barrier.")
public class JobRestartCommand extends HotplugAction {

    @Argument(index = 0, name = "dir", required = true, description = "A folder job:checkpoint wrote")
    @Completion(FileCompleter.class)
    String dir;

    @Override
    public Object execute() {
        print(coordinator().restart(path(dir), timeout(), progress()));
        return null;
    }
}
