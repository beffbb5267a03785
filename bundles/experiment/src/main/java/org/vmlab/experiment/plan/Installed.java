package org.vmlab.experiment.plan;

import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.vmlab.api.experiment.ExperimentAction;
import org.vmlab.api.provider.ProviderCatalog;

/**
 * What a spec is checked against: the providers and actions installed right now.
 *
 * @param backends the {@code vmlab.backend} names, the default first
 * @param catalog  every provider with the settings it describes
 * @param actions  the experiment actions by {@code vmlab.name}
 */
public record Installed(List<String> backends, ProviderCatalog catalog, Map<String, ExperimentAction> actions) {
    public Installed {
        backends = List.copyOf(backends);
        Objects.requireNonNull(catalog, "catalog");
        actions = Map.copyOf(actions);
    }
}
