package org.vmlab.shell.cluster;

import java.util.List;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.placement.Move;
import org.vmlab.api.placement.PlacementPlan;
import org.vmlab.shell.support.Json;
import org.vmlab.shell.support.SettingHelp;

@Service
@Command(scope = "cluster", name = "plan", description = "Prints the migrations a placement policy would do now, "
        + "and the nodes it would free. Values after the policy go to its options in order (cluster:plan evacuate node-b), "
        + "or as name=value; 'cluster:plan POLICY help' lists them.")
public class ClusterPlanCommand extends PolicyCommand {

    @Override
    public Object execute() {
        if (words != null && words.contains(SettingHelp.HELP)) {
            new SettingHelp(json, System.out).show("cluster:plan " + policy, List.of(policyInfo()));
            return null;
        }
        PlacementPlan plan = placement().plan(policy, policyOptions());
        if (json) {
            System.out.println(Json.write(plan));
            return null;
        }
        print(plan);
        return null;
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
