package org.vmlab.shell.cluster;

import java.util.List;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.placement.Move;
import org.vmlab.api.placement.PlacementPlan;
import org.vmlab.api.placement.PlacementService;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.shell.support.Json;
import org.vmlab.shell.support.PlacementCompleter;
import org.vmlab.shell.support.Providers;
import org.vmlab.shell.support.SettingHelp;

@Service
@Command(scope = "cluster", name = "plan", description = "Prints the migrations a placement policy would do now, "
        + "and the nodes it would free. Values after the policy go to its options in order (cluster:plan evacuate node-b), "
        + "or as name=value; 'cluster:plan POLICY help' lists them.")
public class ClusterPlanCommand implements Action {
    @Reference(optional = true)
    PlacementService placement;

    @Reference
    ProviderCatalog catalog;

    @Argument(index = 0, name = "policy", description = "Placement policy (none, first-fit-consolidate, evacuate, ...)", required = true)
    @Completion(PlacementCompleter.class)
    String policy;

    @Argument(index = 1, name = "options", description = "The policy's options: values in order, or name=value", multiValued = true)
    @Completion(NodeCompleter.class)
    List<String> words;

    @Option(name = "--json", description = "Print the plan as one JSON object")
    boolean json;

    @Override
    public Object execute() {
        var info = Providers.named(catalog, Family.PLACEMENT, policy);
        if (words != null && words.contains(SettingHelp.HELP)) {
            new SettingHelp(json, System.out).show("cluster:plan " + policy, List.of(info));
            return null;
        }
        PlacementPlan plan = requirePlacement(placement).plan(policy, PolicyArguments.parse(info, words));
        if (json) {
            System.out.println(Json.write(plan));
            return null;
        }
        print(plan);
        return null;
    }

    static PlacementService requirePlacement(PlacementService placement) {
        if (placement == null) {
            throw new IllegalStateException("this node is not in a cluster: write etc/org.vmlab.cluster.cfg"
                    + " (see the README) and the vmlab-cluster feature starts it");
        }
        return placement;
    }

    private static void print(PlacementPlan plan) {
        System.out.printf("Plan of %s by %s in epoch %d: %d migrations; nodes with VMs %s -> %s; freed %s%n",
                plan.policy(), plan.leader(), plan.epoch(), plan.moves().size(), plan.nodesBefore(), plan.nodesAfter(),
                plan.nodesFreed().isEmpty() ? "none" : plan.nodesFreed());
        if (plan.moves().isEmpty()) {
            return;
        }
        ShellTable table = new ShellTable();
        table.column("#").alignRight();
        table.column("VM");
        table.column("From");
        table.column("To");
        table.column("Why");
        int i = 1;
        for (Move m : plan.moves()) {
            table.addRow().addContent(i++, m.vm(), m.from(), m.to(), m.reason());
        }
        table.print(System.out);
    }
}
