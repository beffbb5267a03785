package org.vmlab.shell.policy;

import java.util.List;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.api.provider.ProviderInfo;
import org.vmlab.shell.support.Families;
import org.vmlab.shell.support.FamilyCompleter;
import org.vmlab.shell.support.Json;
import org.vmlab.shell.support.ProviderViews;

@Service
@Command(scope = "policy", name = "list",
        description = "Lists the providers of every vmlab family (backends, workloads, engines, orderings, detectors, "
                + "storage, tiering, hotplug, placement) found in the service registry, and which one is each family's default. policy:info shows a provider's "
                + "parameters or options.")
public class PolicyListCommand implements Action {

    @Reference
    ProviderCatalog catalog;

    @Option(name = "--family", aliases = "-f", description = "Only this family (backend, workload, engine, ordering, "
            + "pagecache, storage, tiering, hotplug, placement)")
    @Completion(FamilyCompleter.class)
    String family;

    @Option(name = "--json", description = "Print one JSON array of providers, each with the settings it describes")
    boolean json;

    @Override
    public Object execute() {
        List<ProviderInfo> providers = family == null ? catalog.providers() : catalog.providers(Families.parse(family));
        if (json) {
            System.out.println(Json.write(providers.stream().map(ProviderViews::json).toList()));
            return null;
        }
        if (providers.isEmpty()) {
            System.out.println(family == null ? "No vmlab providers are registered." : "No " + family + " providers are registered.");
            return null;
        }
        ShellTable table = new ShellTable();
        table.column("Family");
        table.column("Name");
        table.column("Default");
        table.column("Ranking").alignRight();
        table.column("Bundle");
        table.column("Version");
        table.column("Description");
        for (ProviderInfo p : providers) {
            table.addRow().addContent(p.family(), p.name(), p.isDefault() ? "*" : "", p.ranking(), p.bundle(),
                    p.bundleVersion(), p.description());
        }
        table.print(System.out);
        return null;
    }
}
