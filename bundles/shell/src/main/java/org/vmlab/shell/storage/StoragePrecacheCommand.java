package org.vmlab.shell.storage;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.DataRate;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.api.storage.PrecacheOptions;
import org.vmlab.api.storage.PrecacheStatus;
import org.vmlab.shell.support.NameValues;
import org.vmlab.shell.support.PrecacheOptionCompleter;
import org.vmlab.shell.support.PrecacherCompleter;
import org.vmlab.shell.support.Providers;
import org.vmlab.shell.support.SettingHelp;
import org.vmlab.shell.support.VmCompleter;

@Service
@Command(scope = "storage", name = "precache", description = "Pre-caches a running VM's disk at a backup site while "
        + "it runs: start VM --to HOST:PORT, status [VM], stop VM. Every block the VM writes is tracked; blocks go to "
        + "the backup site's cache export in the background under --rate. Status shows blocks cached and dirty, bytes "
        + "sent and the estimated evacuation time at the link's speed. --option help lists the strategy's options.")
public class StoragePrecacheCommand extends StorageAction {
    @Reference
    ProviderCatalog catalog;

    @Argument(index = 0, name = "action", description = "start, status or stop", required = true)
    @Completion(value = StringsCompleter.class, values = {"start", "status", "stop"})
    String action;

    @Argument(index = 1, name = "vm", description = "VM id (status: every pre-caching VM without it)")
    @Completion(VmCompleter.class)
    String vm;

    @Option(name = "--to", description = "The backup site's NBD server, HOST:PORT")
    String to;

    @Option(name = "--strategy", aliases = "-s", description = "Pre-caching strategy: none, all, recency, ... "
            + "(default: the highest ranked)")
    @Completion(PrecacherCompleter.class)
    String strategy;

    @Option(name = "--export", description = "The backup site's cache export (default backup)")
    String export = "backup";

    @Option(name = "--rate", description = "Bandwidth cap of the background copy, e.g. 50m (default unlimited)")
    String rate = "unlimited";

    @Option(name = "--interval", description = "How often it looks for newly written blocks when idle (default 1s)")
    String interval = "1s";

    @Option(name = "--option", aliases = "-o", multiValued = true, description = "A strategy or link option as "
            + "name=value (link-rate=100m, link-rtt=150ms emulate a WAN); --option help lists them")
    @Completion(PrecacheOptionCompleter.class)
    List<String> options;

    @Override
    public Object execute() {
        if (options != null && options.contains(SettingHelp.HELP)) {
            new SettingHelp(json, System.out).show("storage:precache --option",
                    List.of(Providers.named(catalog, Family.STORAGE, strategy)));
            return null;
        }
        switch (action) {
            case "start" -> {
                if (vm == null || to == null) {
                    throw new IllegalArgumentException("storage:precache start VM --to HOST:PORT");
                }
                String name = Providers.named(catalog, Family.STORAGE, strategy).name();
                PrecacheStatus s = storage().precacheStart(vm, Endpoint.parse(to), export, name,
                        new PrecacheOptions(DataRate.parse(rate), duration(interval), options()));
                show(List.of(s), false);
            }
            case "status" -> {
                List<PrecacheStatus> all = vm == null ? storage().precacheStatuses()
                        : List.of(storage().precacheStatus(vm).orElseThrow(() ->
                        new IllegalArgumentException("VM '" + vm + "' is not pre-caching")));
                show(all, vm == null);
            }
            case "stop" -> {
                if (vm == null) {
                    throw new IllegalArgumentException("storage:precache stop VM");
                }
                show(List.of(storage().precacheStop(vm)), false);
            }
            default -> throw new IllegalArgumentException("action is start, status or stop, not '" + action + "'");
        }
        return null;
    }

    private Map<String, String> options() {
        return NameValues.parse("--option", options);
    }

    private static Duration duration(String s) {
        String t = s.trim().toLowerCase();
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2).trim()));
            }
            if (t.endsWith("s")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1).trim()) * 1000));
            }
            return Duration.ofMillis(Math.round(Double.parseDouble(t) * 1000));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--interval takes a duration like 500ms or 2s, not '" + s + "'");
        }
    }

    private void show(List<PrecacheStatus> all, boolean list) {
        if (json) {
            print(list ? all : all.get(0), null);
            return;
        }
        if (all.isEmpty()) {
            System.out.println("No VM is pre-caching (storage:precache start VM --to HOST:PORT).");
            return;
        }
        ShellTable t = new ShellTable();
        for (String c : List.of("VM", "Strategy", "Backup site", "State", "Cached", "Dirty", "Of", "Sent", "Rate",
                "Evacuation")) {
            t.column(c);
        }
        for (PrecacheStatus s : all) {
            t.addRow().addContent(s.vm(), s.strategy(), s.backupSite().host() + ":" + s.backupSite().port() + "/"
                            + s.export(), s.state(), s.stats().blocksCached(), s.stats().blocksDirty(),
                    s.stats().blocksTotal(), mib(s.stats().bytesSent()),
                    String.format("%.1f Mbit/s", s.bytesPerSecond() * 8 / 1e6),
                    Double.isInfinite(s.evacuationSeconds()) ? "unknown (no rate yet)"
                            : String.format("%.1f s", s.evacuationSeconds()));
        }
        t.print(System.out);
    }
}
