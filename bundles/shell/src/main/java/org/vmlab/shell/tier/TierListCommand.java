package org.vmlab.shell.tier;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.api.provider.ProviderInfo;
import org.vmlab.api.tiering.TierModel;
import org.vmlab.shell.support.Json;
import org.vmlab.shell.support.ProviderViews;

@Service
@Command(scope = "tier", name = "list", description = "Lists the tier model presets of the NVM emulator (read and "
        + "write-back latency, bandwidths, granularity) and the installed tiering policies.")
public class TierListCommand extends TierAction {
    @Reference
    ProviderCatalog catalog;

    @Override
    public Object execute() {
        List<TierModel> presets = tiering().presets();
        List<ProviderInfo> policies = catalog.providers(Family.TIERING);
        if (json) {
            System.out.println(Json.write(Map.of("presets", presets,
                    "policies", policies.stream().map(ProviderViews::json).toList())));
            return null;
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        ShellTable t = new ShellTable();
        for (String c : List.of("Model", "Read ns", "Write-back ns", "Read GB/s", "Write GB/s", "Line", "Block", "Source")) {
            t.column(c);
        }
        for (TierModel m : presets) {
            t.addRow().addContent(m.name(), m.readLatencyNanos(), m.writeLatencyNanos(), gb(m.readBytesPerSecond()),
                    gb(m.writeBytesPerSecond()), m.lineBytes(), m.mediaBlockBytes(), m.description());
        }
        t.print(out);
        out.println();
        ShellTable p = new ShellTable();
        p.column("Policy");
        p.column("Default");
        p.column("Description");
        for (ProviderInfo i : policies) {
            p.addRow().addContent(i.name(), i.isDefault() ? "*" : "", i.description());
        }
        p.print(out);
        System.out.print(buf.toString(StandardCharsets.UTF_8));
        return null;
    }

    private static String gb(long bytesPerSecond) {
        return bytesPerSecond == 0 ? "-" : String.format("%.1f", bytesPerSecond / 1e9);
    }
}
