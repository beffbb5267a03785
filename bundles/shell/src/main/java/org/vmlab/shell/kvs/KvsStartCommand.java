package org.vmlab.shell.kvs;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vmlab.api.kvs.KvsServer;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.shell.support.KvsOptionCompleter;
import org.vmlab.shell.support.Providers;
import org.vmlab.shell.support.SettingHelp;
import org.vmlab.shell.support.TierModelCompleter;

@Service
@Command(scope = "kvs", name = "start", description = "Starts a tiered key-value server speaking memcached's text and "
        + "meta protocols, on 127.0.0.1 unless --host says otherwise. --option help lists every option.")
public class KvsStartCommand extends KvsAction {
    @Reference
    ProviderCatalog catalog;

    @Option(name = "--name", description = "Server id (default kvs1, kvs2, ...)")
    String name;

    @Option(name = "--port", aliases = "-p", description = "TCP port; 0 picks a free one (default 11211)")
    String port;

    @Option(name = "--host", description = "Address to listen on (default 127.0.0.1)")
    String host;

    @Option(name = "--mode", description = "flat, dram-only, nvm-only or dual-lru (default dual-lru)")
    @Completion(value = StringsCompleter.class, values = {"flat", "dram-only", "nvm-only", "dual-lru"})
    String mode;

    @Option(name = "--dram", description = "Memory limit of the DRAM tier, e.g. 64m (default 64m)")
    String dram;

    @Option(name = "--nvm", description = "Memory limit of the NVM tier, e.g. 1g (default 1g)")
    String nvm;

    @Option(name = "--nvm-model", description = "NVM tier model: a preset or figures, e.g. pcm:write=1500ns (default optane-dcpmm)")
    @Completion(TierModelCompleter.class)
    String nvmModel;

    @Option(name = "--threads", aliases = "-t", description = "Worker threads (default 4)")
    String threads;

    @Option(name = "--option", aliases = "-o", multiValued = true, description = "Any option as name=value; repeat for "
            + "several; --option help lists them")
    @Completion(KvsOptionCompleter.class)
    List<String> options;

    @Override
    public Object execute() {
        if (options != null && options.contains(SettingHelp.HELP)) {
            new SettingHelp(json, System.out).show("kvs:start --option", List.of(Providers.named(catalog, Family.KVS, null)));
            return null;
        }
        Map<String, String> o = new LinkedHashMap<>();
        if (options != null) {
            for (String kv : options) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--option takes name=value, not '" + kv + "'");
                }
                o.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        put(o, "port", port);
        put(o, "host", host);
        put(o, "mode", mode);
        put(o, "dram", dram);
        put(o, "nvm", nvm);
        put(o, "nvm-model", nvmModel);
        put(o, "threads", threads);
        KvsServer s = kvs().start(name, o);
        print(Map.of("id", s.id(), "address", s.address().getHostString() + ":" + s.address().getPort(),
                "options", s.options()), "Started key-value server " + s.id() + " on " + s.address().getHostString() + ":"
                + s.address().getPort() + " (" + s.options().get("mode") + ", dram " + s.options().get("dram")
                + ", nvm " + s.options().get("nvm") + " " + s.options().get("nvm-model") + ")");
        return null;
    }

    private static void put(Map<String, String> o, String key, String value) {
        if (value != null) {
            o.put(key, value);
        }
    }
}
