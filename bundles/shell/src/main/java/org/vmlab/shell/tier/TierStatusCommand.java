package org.vmlab.shell.tier;

import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.ByteSize;
import org.vmlab.api.tiering.TierStatus;
import org.vmlab.api.tiering.TierUsage;
import org.vmlab.shell.support.VmCompleter;

@Service
@Command(scope = "tier", name = "status", description = "Shows a tiered VM's memory: frames per tier, what each "
        + "tier charged, promotions, demotions and moves per second (every tiered VM without an argument).")
public class TierStatusCommand extends TierAction {

    @Argument(index = 0, name = "vm", description = "VM id (default: every VM with tiered memory)")
    @Completion(VmCompleter.class)
    String vm;

    @Override
    public Object execute() {
        List<TierStatus> all = vm == null ? tiering().statuses() : List.of(tiering().status(vm).orElseThrow(
                () -> new IllegalArgumentException("VM '" + vm + "' has no tiered memory (or no such VM); tiered: "
                        + names())));
        if (json) {
            print(vm == null ? all : all.get(0), null);
            return null;
        }
        if (all.isEmpty()) {
            System.out.println("No VM has tiered memory (vm:create --tier dram=1G --tier nvm=3G ...).");
            return null;
        }
        for (TierStatus s : all) {
            System.out.printf("%s: policy %s, %d frames not touched yet, %d promotions, %d demotions, %.1f moves/s,"
                    + " %d rebalances%n", s.owner(), s.policy(), s.framesUnplaced(), s.promotions(), s.demotions(),
                    s.movesPerSecond(), s.rebalances());
            ShellTable t = new ShellTable();
            for (String c : List.of("Tier", "Model", "Frames", "Used", "Capacity", "Reads", "Write-backs", "Charged ms")) {
                t.column(c);
            }
            for (TierUsage u : s.tiers()) {
                t.addRow().addContent(u.name(), u.model().name(), u.usedBytes() / 4096, new ByteSize(u.usedBytes()),
                        new ByteSize(u.capacityBytes()), u.counters().reads(), u.counters().writes(),
                        String.format("%.1f", u.counters().chargedNanos() / 1e6));
            }
            t.print(System.out);
        }
        return null;
    }

    private String names() {
        List<String> n = tiering().statuses().stream().map(TierStatus::owner).toList();
        return n.isEmpty() ? "none" : String.join(", ", n);
    }
}
