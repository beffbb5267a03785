package org.vmlab.api.provider;

import java.util.Objects;

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
 */
public record ProviderInfo(String family, String name, String description, String bundle,
                           String bundleVersion, int ranking, long serviceId, boolean isDefault) {
    public ProviderInfo {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(name, "name");
        description = description == null ? "" : description;
        Objects.requireNonNull(bundle, "bundle");
        Objects.requireNonNull(bundleVersion, "bundleVersion");
    }
}
