package org.vmlab.shell.support;

import java.util.List;
import java.util.Optional;

import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.api.provider.ProviderInfo;

/** Looks providers up by the name a user gave, with errors that list what is installed. */
public final class Providers {
    private Providers() {
    }

    /**
     * The provider of {@code family} called {@code name}, or the family's default when
     * {@code name} is null, as the services resolve it.
     *
     * @throws IllegalArgumentException naming what is installed, if there is no such provider
     */
    public static ProviderInfo named(ProviderCatalog catalog, Family family, String name) {
        List<ProviderInfo> all = catalog.providers(family);
        if (all.isEmpty()) {
            throw new IllegalArgumentException("no " + family.id() + " is installed");
        }
        return pick(all, name).orElseThrow(() -> new IllegalArgumentException("no " + family.id() + " '" + name
                + "'; " + family.id() + "s: " + String.join(", ", all.stream().map(ProviderInfo::name).toList())));
    }

    /** {@link #named}, or empty where there is no such provider. */
    public static Optional<ProviderInfo> find(ProviderCatalog catalog, Family family, String name) {
        return pick(catalog.providers(family), name);
    }

    private static Optional<ProviderInfo> pick(List<ProviderInfo> all, String name) {
        return all.stream().filter(p -> name == null ? p.isDefault() : p.name().equals(name)).findFirst();
    }
}
