package org.vmlab.shell.hotplug;

import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.hotplug.JobMigrationPlan;
import org.vmlab.shell.support.EngineCompleter;
import org.vmlab.shell.support.VmCompleter;

@Service
@Command(scope = "job", name = "migrate", description = "Migrates every VM of a job together (SymVirt): the ranks hold at one barrier, "
        + "pass-through devices are detached, all VMs migrate to this instance's receiver, devices come back, the ranks go on. "
        + "Prints the per-phase timeline.")
public class JobMigrateCommand extends HotplugAction {

    @Argument(index = 0, name = "vms", required = true, multiValued = true, description = "The job's VM ids")
    @Completion(VmCompleter.class)
    List<String> vms;

    @Option(name = "--engine", aliases = "-e", description = "Transfer engine for every VM, e.g. precopy or postcopy (default: the family default)")
    @Completion(EngineCompleter.class)
    String engine;

    @Option(name = "--option", multiValued = true, description = "Engine option name=value for every VM; repeat for several")
    List<String> options;

    @Option(name = "--verify", description = "Compare each destination's memory with its source at the switchover")
    boolean verify;

    @Override
    public Object execute() {
        Map<String, String> opts = new java.util.LinkedHashMap<>();
        if (options != null) {
            for (String o : options) {
                int eq = o.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--option takes name=value, not '" + o + "'");
                }
                opts.put(o.substring(0, eq), o.substring(eq + 1));
            }
        }
        print(coordinator().migrate(new JobMigrationPlan(vms, engine, opts, verify, timeout()), progress()));
        return null;
    }
}
