package org.vmlab.core;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.vmlab.api.VmlabException;
import org.vmlab.api.provider.ProviderProperties;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmBackend;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.api.vm.VmSpec;

/** Tracks the installed backends and routes VM look-ups and creation to them. */
@Component(service = VmDirectory.class)
public final class BackendVmDirectory implements VmDirectory {

    /** A backend with the ranking that orders it; the highest ranking is the default. */
    private record Ranked(VmBackend backend, int ranking, long serviceId) {
    }

    private final Map<String, Ranked> backends = new ConcurrentSkipListMap<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addBackend(VmBackend backend, Map<String, Object> props) {
        backends.put(name(backend, props), new Ranked(backend, ranking(props), (Long) props.get(Constants.SERVICE_ID)));
    }

    /** Outside OSGi (tests, benches): adds a backend under {@code name}; the highest ranking is the default. */
    public void add(String name, int ranking, VmBackend backend) {
        backends.put(name, new Ranked(backend, ranking, 0));
    }

    void removeBackend(VmBackend backend, Map<String, Object> props) {
        backends.remove(name(backend, props), backends.get(name(backend, props)));
    }

    @Override
    public List<Vm> vms() {
        List<Vm> all = new ArrayList<>();
        for (Ranked r : backends.values()) {
            all.addAll(r.backend().vms());
        }
        all.sort(Comparator.comparing(Vm::id));
        return List.copyOf(all);
    }

    @Override
    public Optional<Vm> find(String id) {
        for (Ranked r : backends.values()) {
            Optional<Vm> vm = r.backend().find(id);
            if (vm.isPresent()) {
                return vm;
            }
        }
        return Optional.empty();
    }

    @Override
    public Vm create(VmSpec spec) {
        if (find(spec.name()).isPresent()) {
            throw new VmlabException("a VM named '" + spec.name() + "' exists already");
        }
        VmBackend backend = backend(spec.backend());
        return backend.create(spec.backend() == null ? spec.withBackend(backend.name()) : spec);
    }

    @Override
    public Vm restore(Path snapshot, String backend) {
        if (backend == null) {
            // The backend that wrote the file, else the default one (whose error names the format).
            for (Ranked r : ordered()) {
                if (r.backend().recognizes(snapshot)) {
                    return r.backend().restore(snapshot);
                }
            }
        }
        return backend(backend).restore(snapshot);
    }

    @Override
    public List<String> backends() {
        return ordered().stream().map(r -> r.backend().name()).toList();
    }

    private VmBackend backend(String name) {
        if (name == null) {
            return ordered().stream().findFirst().map(Ranked::backend)
                    .orElseThrow(() -> new VmlabException("no VM backend is installed"));
        }
        Ranked r = backends.get(name);
        if (r == null) {
            throw new VmlabException("unknown backend '" + name + "'; installed: "
                    + (backends.isEmpty() ? "none" : String.join(", ", backends())));
        }
        return r.backend();
    }

    private List<Ranked> ordered() {
        return backends.values().stream()
                .sorted(Comparator.comparingInt(Ranked::ranking).reversed().thenComparingLong(Ranked::serviceId))
                .toList();
    }

    private static String name(VmBackend backend, Map<String, Object> props) {
        Object n = props.get(ProviderProperties.BACKEND);
        return n == null ? backend.name() : n.toString();
    }

    private static int ranking(Map<String, Object> props) {
        return props.get(Constants.SERVICE_RANKING) instanceof Integer i ? i : 0;
    }
}
