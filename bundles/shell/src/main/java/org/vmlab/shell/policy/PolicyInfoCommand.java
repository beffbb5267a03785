package org.vmlab.shell.policy;

import java.util.List;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.api.provider.ProviderInfo;
import org.vmlab.shell.support.Families;
import org.vmlab.shell.support.FamilyCompleter;
import org.vmlab.shell.support.Json;
import org.vmlab.shell.support.ProviderNameCompleter;
import org.vmlab.shell.support.ProviderViews;
import org.vmlab.shell.support.Providers;
import org.vmlab.shell.support.SettingViews;

@Service
@Command(scope = "policy", name = "info",
        description = "Shows a provider and the settings it describes (a workload's parameters, an engine's or an ordering's "
                + "options): name, type, default, help. Without a name, every provider of the family.")
public class PolicyInfoCommand implements Action {

    @Reference
    ProviderCatalog catalog;

    @Argument(index = 0, name = "family", required = true,
            description = "Family: backend, workload, engine, ordering, pagecache, storage, tiering, hotplug, placement")
    @Completion(FamilyCompleter.class)
    String family;

    @Argument(index = 1, name = "name", description = "Provider name (default: every provider of the family)")
    @Completion(ProviderNameCompleter.class)
    String name;

    @Option(name = "--json", description = "Print one JSON object (an array without a name), settings described in full")
    boolean json;

    @Option(name = "--markdown", description = "Print the settings as one Markdown table (what README.md shows)")
    boolean markdown;

    @Override
    public Object execute() {
        if (json && markdown) {
            throw new IllegalArgumentException("--json and --markdown exclude each other");
        }
        Family f = Families.parse(family);
        List<ProviderInfo> providers = name == null ? catalog.providers(f) : List.of(Providers.named(catalog, f, name));
        if (json) {
            System.out.println(Json.write(name == null ? providers.stream().map(ProviderViews::json).toList()
                    : ProviderViews.json(providers.get(0))));
            return null;
        }
        if (markdown) {
            System.out.print(SettingViews.markdown(f.id(), providers));
            return null;
        }
        if (providers.isEmpty()) {
            System.out.println("No " + f.id() + " providers are registered.");
            return null;
        }
        String flag = f == Family.WORKLOAD ? "vm:create --param"
                : f == Family.PLACEMENT ? "cluster:plan" : "migration:start --option";
        for (ProviderInfo p : providers) {
            if (p != providers.get(0)) {
                System.out.println();
            }
            System.out.println(p.family() + " " + p.name() + (p.isDefault() ? " (default)" : "") + ": " + p.description());
            System.out.println("  from " + p.bundle() + " " + p.bundleVersion() + ", ranking " + p.ranking()
                    + ", service " + p.serviceId());
            if (f == Family.WORKLOAD || f == Family.ENGINE || f == Family.ORDERING || !p.settings().isEmpty()) {
                SettingViews.printTable(p, f == Family.PLACEMENT ? flag + " " + p.name() : flag, System.out);
            }
        }
        return null;
    }
}
