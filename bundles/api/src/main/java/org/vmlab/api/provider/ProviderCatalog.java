package org.vmlab.api.provider;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Lists the vmlab providers registered right now. Reads the service registry on every call, so a
 * bundle hot-deployed or removed a moment ago is already reflected.
 */
@ProviderType
public interface ProviderCatalog {

    /** Every provider of every family, sorted by family, then default first, then name. */
    List<ProviderInfo> providers();

    /** The providers of one family, default first. */
    List<ProviderInfo> providers(Family family);

    /** The provider a family resolves to when the user names none. */
    default Optional<ProviderInfo> defaultProvider(Family family) {
        return providers(family).stream().filter(ProviderInfo::isDefault).findFirst();
    }

    /** The provider of this family with this name. */
    default Optional<ProviderInfo> find(Family family, String name) {
        return providers(family).stream().filter(p -> p.name().equals(name)).findFirst();
    }
}
