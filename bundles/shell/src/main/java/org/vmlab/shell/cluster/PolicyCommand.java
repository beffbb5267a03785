package org.vmlab.shell.cluster;

import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.vmlab.api.placement.PlacementService;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.api.provider.ProviderInfo;
import org.vmlab.shell.support.PlacementCompleter;
import org.vmlab.shell.support.Providers;

/** What cluster:plan and cluster:apply share: the placement service, a policy and its options. */
abstract class PolicyCommand implements Action {
    @Reference(optional = true)
    PlacementService placement;

    @Reference
    ProviderCatalog catalog;

    @Argument(index = 0, name = "policy", description = "Placement policy (none, first-fit-consolidate, evacuate, ...)", required = true)
    @Completion(PlacementCompleter.class)
    String policy;

    @Argument(index = 1, name = "options", description = "The policy's options: values in order (evacuate node-b), or name=value",
            multiValued = true)
    @Completion(NodeCompleter.class)
    List<String> words;

    @Option(name = "--json", description = "Print one JSON object")
    boolean json;

    ProviderInfo policyInfo() {
        return Providers.named(catalog, Family.PLACEMENT, policy);
    }

    Map<String, String> policyOptions() {
        return PolicyArguments.parse(policyInfo(), words);
    }

    PlacementService placement() {
        return Clusters.require(placement);
    }
}
