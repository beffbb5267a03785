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
        return find(catalog, family, name).orElseThrow(() -> {
            List<String> all = catalog.providers(family).stream().map(ProviderInfo::name).toList();
            return new IllegalArgumentException(all.isEmpty() ? "no " + family.id() + " is installed"
                    : "no " + family.id() + " '" + name + "'; " + family.id() + "s: " + String.join(", ", all));
        });
    }

    /** {@link #named}, or empty where there is no such provider. */
    public static Optional<ProviderInfo> find(ProviderCatalog catalog, Family family, String name) {
        return name == null ? catalog.defaultProvider(family) : catalog.find(family, name);
    }
}
