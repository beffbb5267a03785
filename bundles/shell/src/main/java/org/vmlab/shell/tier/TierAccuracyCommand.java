package org.vmlab.shell.tier;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.ByteSize;
import org.vmlab.api.tiering.AccuracyRow;

@Service
@Command(scope = "tier", name = "accuracy", description = "Runs a pointer-chasing (read) and a write-back microbenchmark in "
        + "emulated tiers and prints target against measured latency, as Koshiba et al.'s table; with a symmetric "
        + "model (Quartz's single latency) for the write-back rows too. Measured in the thread's CPU time.")
public class TierAccuracyCommand extends TierAction {

    @Option(name = "--latencies", description = "Target latencies in ns, comma-separated (default 200,400,600,800,1000)")
    String latencies = "200,400,600,800,1000";

    @Option(name = "--hops", description = "Dependent accesses per figure (default 1000000)")
    long hops = 1_000_000;

    @Option(name = "--buffer", description = "Pointer-chasing buffer: 64M (default) misses to DRAM; 16k stays in the "
            + "L1 cache and isolates the emulator's own error")
    String buffer = "64M";

    @Option(name = "--symmetric-read", description = "Read latency of the symmetric model, in ns (default 200)")
    long symmetricRead = 200;

    @Option(name = "--no-symmetric", description = "Leave out the symmetric model's rows")
    boolean noSymmetric;

    @Override
    public Object execute() {
        List<Long> targets = new ArrayList<>();
        for (String t : latencies.split(",")) {
            try {
                targets.add(Long.parseLong(t.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--latencies takes ns, comma-separated, not '" + t + "'");
            }
        }
        long bytes = ByteSize.parse(buffer).bytes();
        List<AccuracyRow> rows = tiering().accuracy(targets, hops, bytes, !noSymmetric, symmetricRead, this::progress);
        if (json) {
            print(Map.of("bufferBytes", bytes, "hops", hops, "rows", rows), null);
            return null;
        }
        ShellTable t = new ShellTable();
        for (String c : List.of("Access", "Model", "Target ns", "Host ns", "Measured ns", "Error %")) {
            t.column(c).alignRight();
        }
        for (AccuracyRow r : rows) {
            t.addRow().addContent(r.access(), r.model(), r.targetNanos(), String.format("%.1f", r.hostNanos()),
                    String.format("%.1f", r.measuredNanos()), String.format("%+.2f", r.errorPercent()));
        }
        t.print(System.out);
        return null;
    }
}
