package org.vmlab.shell.kvs;

import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.ByteSize;
import org.vmlab.api.kvs.KvsServer;
import org.vmlab.api.kvs.KvsStats;
import org.vmlab.api.kvs.KvsTierStats;
import org.vmlab.shell.support.KvsServerCompleter;

@Service
@Command(scope = "kvs", name = "stats", description = "Shows a key-value server's counters (hits, misses, evictions, "
        + "demotions, promotions) and its tiers (limit, use, items per LRU segment, what the tier charged); every "
        + "server without an argument.")
public class KvsStatsCommand extends KvsAction {

    @Argument(index = 0, name = "server", description = "Server id (default: every running server)")
    @Completion(KvsServerCompleter.class)
    String id;

    @Override
    public Object execute() {
        List<KvsStats> all = id == null ? kvs().servers().stream().map(KvsServer::stats).toList()
                : List.of(server(id).stats());
        if (json) {
            print(id == null ? all : all.get(0), null);
            return null;
        }
        if (all.isEmpty()) {
            System.out.println("No key-value server is running (kvs:start).");
            return null;
        }
        for (KvsStats s : all) {
            System.out.printf("%s on %s (%s), up %d s: %d connections (%d in all, %d refused), %d items; %d hits, %d misses,"
                    + " %d sets; %d evictions, %d demotions, %d promotions, %d protocol errors%n", s.id(), s.address(),
                    s.mode(), s.uptimeSeconds(), s.currConnections(), s.totalConnections(), s.rejectedConnections(),
                    s.items(), s.getHits(), s.getMisses(), s.sets(), s.evictions(), s.demotions(), s.promotions(),
                    s.protocolErrors());
            ShellTable t = new ShellTable();
            for (String c : List.of("Tier", "Model", "Limit", "Used", "Items", "Hot", "Warm", "Cold", "Charged ms")) {
                t.column(c);
            }
            for (KvsTierStats x : s.tiers()) {
                t.addRow().addContent(x.name(), x.model(), new ByteSize(x.limitBytes()), new ByteSize(x.usedBytes()),
                        x.items(), x.hot(), x.warm(), x.cold(), String.format("%.1f", x.counters().chargedNanos() / 1e6));
            }
            t.print(System.out);
        }
        return null;
    }
}
