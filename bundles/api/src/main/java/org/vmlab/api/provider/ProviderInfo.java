package org.vmlab.api.provider;

import java.util.List;
import java.util.Objects;

import org.vmlab.api.parameter.Parameter;

/**
 * One provider service as the registry shows it.
 *
 * @param family      the family id ({@code vmlab.family})
 * @param name        the provider name ({@code vmlab.name})
 * @param description one line from {@code vmlab.description}, empty if absent
 * @param bundle      symbolic name of the bundle that registered the service
 * @param bundleVersion version of that bundle
 * @param ranking     {@code service.ranking} (0 if absent)
 * @param serviceId   {@code service.id}
 * @param isDefault   whether this provider is what its family resolves to when no name is given
 *                    (highest ranking, then lowest service id, as the OSGi registry orders them)
 * @param settings    the settings the provider describes: a workload's parameters, an engine's
 *                    or an ordering policy's options; empty for none
 * @since 1.1
 */
public record ProviderInfo(String family, String name, String description, String bundle,
                           String bundleVersion, int ranking, long serviceId, boolean isDefault,
                           List<Parameter> settings) {
    public ProviderInfo {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(name, "name");
        description = description == null ? "" : description;
        Objects.requireNonNull(bundle, "bundle");
        Objects.requireNonNull(bundleVersion, "bundleVersion");
        settings = settings == null ? List.of() : List.copyOf(settings);
    }

    /** A provider that describes no settings. */
    public ProviderInfo(String family, String name, String description, String bundle,
                        String bundleVersion, int ranking, long serviceId, boolean isDefault) {
        this(family, name, description, bundle, bundleVersion, ranking, serviceId, isDefault, List.of());
    }
}
