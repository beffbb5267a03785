package org.vmlab.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;
import org.vmlab.api.migration.MigrationContext;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.TransferEngine;
import org.vmlab.api.ordering.OrderingPolicy;
import org.vmlab.api.ordering.RoundContext;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderInfo;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.workload.Workload;
import org.vmlab.api.workload.WorkloadRun;

class RegistryProviderCatalogTest {
    private static final Parameter STAGES = Parameter.integer("stages", "8", 1, 1024, "stages per round");
    private static final Parameter FAULT = Parameter.choice("fault-mode", "blocking", "how a fault waits",
            "blocking", "cooperative");
    private static final Parameter RATE = Parameter.byteRate("rate", "0", "bytes written per second");
    private static final Parameter SPREAD = Parameter.decimal("spread", "0.5", 0, 1, "how far pages spread");

    /** A registry of fake services: what the catalog reads, and how often it got and released each. */
    private static final class Registry {
        final List<ServiceReference<?>> refs = new ArrayList<>();
        final Map<ServiceReference<?>, Object> services = new HashMap<>();
        final Map<ServiceReference<?>, Integer> held = new HashMap<>();
        int gets;

        void add(String family, String name, int ranking, Object service) {
            long id = refs.size() + 1;
            Map<String, Object> props = Map.of("vmlab.family", family, "vmlab.name", name,
                    Constants.SERVICE_RANKING, ranking, Constants.SERVICE_ID, id);
            ServiceReference<?>[] self = new ServiceReference<?>[1];
            self[0] = (ServiceReference<?>) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {ServiceReference.class}, (p, m, a) -> switch (m.getName()) {
                        case "getProperty" -> props.get((String) a[0]);
                        case "getBundle" -> bundle();
                        case "compareTo" -> compare(props, ((ServiceReference<?>) a[0]));
                        case "hashCode" -> System.identityHashCode(p);
                        case "equals" -> p == a[0];
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
            refs.add(self[0]);
            services.put(self[0], service);
        }

        BundleContext context() {
            return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {BundleContext.class}, (p, m, a) -> switch (m.getName()) {
                        case "getAllServiceReferences" -> refs.toArray(new ServiceReference<?>[0]);
                        case "getService" -> {
                            gets++;
                            Object service = services.get(a[0]);
                            if (service != null) { // a null service is not in use (OSGi core 5.2.5)
                                held.merge((ServiceReference<?>) a[0], 1, Integer::sum);
                            }
                            yield service;
                        }
                        case "ungetService" -> {
                            held.merge((ServiceReference<?>) a[0], -1, Integer::sum);
                            yield true;
                        }
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
        }

        private static int compare(Map<String, Object> mine, ServiceReference<?> other) {
            int r = Integer.compare((Integer) mine.get(Constants.SERVICE_RANKING),
                    (Integer) other.getProperty(Constants.SERVICE_RANKING));
            // Higher ranking, then lower id, is "greater", as in the OSGi registry.
            return r != 0 ? r : Long.compare((Long) other.getProperty(Constants.SERVICE_ID),
                    (Long) mine.get(Constants.SERVICE_ID));
        }

        private static Bundle bundle() {
            return (Bundle) Proxy.newProxyInstance(RegistryProviderCatalogTest.class.getClassLoader(),
                    new Class<?>[] {Bundle.class}, (p, m, a) -> switch (m.getName()) {
                        case "getSymbolicName" -> "org.example.providers";
                        case "getVersion" -> new Version(1, 2, 3);
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
        }
    }

    private static TransferEngine engine(List<Parameter> options) {
        return new TransferEngine() {
            @Override
            public Optional<String> unsupportedReason(Vm vm) {
                return Optional.empty();
            }

            @Override
            public List<Parameter> options() {
                return options;
            }

            @Override
            public MigrationReport migrate(MigrationPlan plan, MigrationContext context) {
                throw new UnsupportedOperationException();
            }
        };
    }

    private static OrderingPolicy ordering(List<Parameter> options) {
        return new OrderingPolicy() {
            @Override
            public long[] order(RoundContext round) {
                return new long[0];
            }

            @Override
            public List<Parameter> options() {
                return options;
            }
        };
    }

    private static Workload workload(List<Parameter> parameters) {
        return new Workload() {
            @Override
            public List<Parameter> parameters() {
                return parameters;
            }

            @Override
            public WorkloadRun start(Vm vm, Map<String, String> p) {
                throw new UnsupportedOperationException();
            }

            @Override
            public WorkloadRun resume(Vm vm, Map<String, String> p) {
                throw new UnsupportedOperationException();
            }
        };
    }

    @Test
    void everyProviderCarriesTheSettingsItsServiceDescribes() {
        Registry r = new Registry();
        r.add("engine", "staged", 100, engine(List.of(STAGES, FAULT)));
        r.add("engine", "plain", 0, engine(List.of()));
        r.add("ordering", "spread", 0, ordering(List.of(SPREAD)));
        r.add("workload", "writer", 0, workload(List.of(RATE)));
        r.add("backend", "box", 0, new Object());
        RegistryProviderCatalog catalog = new RegistryProviderCatalog(r.context());

        ProviderInfo staged = catalog.find(Family.ENGINE, "staged").orElseThrow();
        assertEquals(List.of(STAGES, FAULT), staged.settings());
        assertTrue(staged.isDefault());
        assertEquals("org.example.providers", staged.bundle());
        assertEquals("1.2.3", staged.bundleVersion());
        assertEquals(List.of(), catalog.find(Family.ENGINE, "plain").orElseThrow().settings());
        assertEquals(List.of(SPREAD), catalog.find(Family.ORDERING, "spread").orElseThrow().settings());
        assertEquals(List.of(RATE), catalog.find(Family.WORKLOAD, "writer").orElseThrow().settings());
        assertEquals(List.of(), catalog.find(Family.BACKEND, "box").orElseThrow().settings());
        assertEquals(List.of("box", "writer", "staged", "plain", "spread"),
                catalog.providers().stream().map(ProviderInfo::name).toList());
        assertTrue(r.gets > 0);
        r.held.forEach((ref, n) -> assertEquals(0, n, "every service got is released"));
    }

    @Test
    void aProviderThatCannotDescribeItselfIsListedWithoutSettings() {
        Registry r = new Registry();
        r.add("engine", "broken", 0, new TransferEngine() {
            @Override
            public Optional<String> unsupportedReason(Vm vm) {
                return Optional.empty();
            }

            @Override
            public List<Parameter> options() {
                throw new IllegalStateException("not configured");
            }

            @Override
            public MigrationReport migrate(MigrationPlan plan, MigrationContext context) {
                throw new UnsupportedOperationException();
            }
        });
        r.add("engine", "gone", 0, null); // getService gives null: its component failed to activate
        r.add("ordering", "stranger", 0, new Object()); // not an OrderingPolicy of our api
        RegistryProviderCatalog catalog = new RegistryProviderCatalog(r.context());

        assertEquals(List.of(), catalog.find(Family.ENGINE, "broken").orElseThrow().settings());
        assertEquals(List.of(), catalog.find(Family.ENGINE, "gone").orElseThrow().settings());
        assertEquals(List.of(), catalog.find(Family.ORDERING, "stranger").orElseThrow().settings());
        r.held.forEach((ref, n) -> assertEquals(0, n, "every service got is released"));
    }
}
