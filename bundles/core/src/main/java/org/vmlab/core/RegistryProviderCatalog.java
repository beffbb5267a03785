package org.vmlab.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.api.provider.ProviderInfo;
import org.vmlab.api.provider.ProviderProperties;

/**
 * Reads provider services straight from the registry on every call rather than tracking them:
 * listing is rare, and a fresh read can never show a provider that was just uninstalled. The
 * settings a provider describes come from its service object, got and released per call; its
 * users (migration service, backends) normally hold it already, so this rarely activates one.
 */
@Component(service = ProviderCatalog.class)
public final class RegistryProviderCatalog implements ProviderCatalog {
    private static final String FILTER = "(&(" + ProviderProperties.FAMILY + "=*)(" + ProviderProperties.NAME + "=*))";

    private final BundleContext context;

    @Activate
    public RegistryProviderCatalog(BundleContext context) {
        this.context = context;
    }

    @Override
    public List<ProviderInfo> providers() {
        List<ServiceReference<?>> refs = references(FILTER);
        List<ProviderInfo> out = new ArrayList<>();
        for (Family family : Family.values()) {
            out.addAll(describe(family, refs));
        }
        return List.copyOf(out);
    }

    @Override
    public List<ProviderInfo> providers(Family family) {
        return describe(family, references(FILTER));
    }

    private List<ProviderInfo> describe(Family family, List<ServiceReference<?>> all) {
        // The registry's own order (ranking desc, then service id asc) is what a plain
        // getServiceReference would pick, so the first of a family is its default.
        List<ServiceReference<?>> refs = all.stream()
                .filter(r -> family.id().equals(String.valueOf(r.getProperty(ProviderProperties.FAMILY))))
                .sorted(Comparator.reverseOrder())
                .toList();
        List<ProviderInfo> out = new ArrayList<>(refs.size());
        for (int i = 0; i < refs.size(); i++) {
            out.add(info(family, refs.get(i), i == 0));
        }
        out.sort(Comparator.comparing((ProviderInfo p) -> !p.isDefault()).thenComparing(ProviderInfo::name));
        return List.copyOf(out);
    }

    private ProviderInfo info(Family family, ServiceReference<?> ref, boolean isDefault) {
        Bundle bundle = ref.getBundle();
        Object ranking = ref.getProperty(Constants.SERVICE_RANKING);
        Object description = ref.getProperty(ProviderProperties.DESCRIPTION);
        return new ProviderInfo(
                family.id(),
                String.valueOf(ref.getProperty(ProviderProperties.NAME)),
                description == null ? "" : description.toString(),
                bundle == null ? "?" : bundle.getSymbolicName(),
                bundle == null ? "?" : bundle.getVersion().toString(),
                ranking instanceof Integer r ? r : 0,
                (Long) ref.getProperty(Constants.SERVICE_ID),
                isDefault,
                settings(family, ref));
    }

    /** The settings the service object describes; the object is released at once. */
    private List<Parameter> settings(Family family, ServiceReference<?> ref) {
        Object service;
        try {
            service = context.getService(ref);
        } catch (IllegalStateException | IllegalArgumentException e) {
            return List.of(); // unregistered meanwhile, or the catalog's bundle is stopping
        }
        if (service == null) {
            return List.of(); // gone, or its component failed to activate
        }
        try {
            return ProviderSettings.of(family, service);
        } finally {
            try {
                context.ungetService(ref);
            } catch (IllegalStateException e) {
                // the catalog's bundle is stopping: its uses are released anyway
            }
        }
    }

    private List<ServiceReference<?>> references(String filter) {
        try {
            ServiceReference<?>[] refs = context.getAllServiceReferences(null, filter);
            return refs == null ? List.of() : List.of(refs);
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException("bad provider filter " + filter, e);
        } catch (IllegalStateException e) {
            // The catalog's own bundle is stopping: nothing is listed any more.
            return List.of();
        }
    }
}
