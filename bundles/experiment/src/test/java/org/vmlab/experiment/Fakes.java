package org.vmlab.experiment;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.api.provider.ProviderInfo;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.api.workload.ThroughputSample;
import org.vmlab.api.workload.WorkloadRun;

/** Stand-ins for the services an experiment uses: providers described as the real ones are, VMs that only exist. */
public final class Fakes {
    private Fakes() {
    }

    /** A catalog with the emu backend, a memory workload, two engines and two orderings. */
    public static ProviderCatalog catalog() {
        List<ProviderInfo> all = List.of(
                new ProviderInfo("workload", "memory", "", "b", "1", 0, 1, true, List.of(
                        Parameter.size("working-set", "64M", 4096, 1L << 40, "pages written"),
                        Parameter.byteRate("rate", "0", "bytes per second"))),
                new ProviderInfo("workload", "idle", "", "b", "1", 0, 2, false),
                new ProviderInfo("engine", "precopy", "", "b", "1", 100, 3, true, List.of(
                        Parameter.integer("stages", "8", 1, 1024, "stages per round"))),
                new ProviderInfo("engine", "postcopy", "", "b", "1", 0, 4, false, List.of(
                        Parameter.choice("fault-mode", "blocking", "how faults wait", "blocking", "cooperative"))),
                new ProviderInfo("ordering", "sequential", "", "b", "1", 100, 5, true),
                new ProviderInfo("ordering", "update-history", "", "b", "1", 0, 6, false));
        return new ProviderCatalog() {
            @Override
            public List<ProviderInfo> providers() {
                return all;
            }

            @Override
            public List<ProviderInfo> providers(Family family) {
                return all.stream().filter(p -> p.family().equals(family.id())).toList();
            }
        };
    }

    /** A directory whose VMs run a workload reporting {@code ops} operations per second. */
    public static final class Directory implements VmDirectory {
        public final List<Vm> vms = new CopyOnWriteArrayList<>();
        public final List<String> created = new CopyOnWriteArrayList<>();
        private final double ops;

        public Directory(double ops) {
            this.ops = ops;
        }

        @Override
        public List<Vm> vms() {
            return List.copyOf(vms);
        }

        @Override
        public Optional<Vm> find(String id) {
            return vms.stream().filter(v -> v.id().equals(id)).findFirst();
        }

        @Override
        public Vm create(VmSpec spec) {
            created.add(spec.name());
            Vm vm = vm(spec, ops);
            vms.add(vm);
            return vm;
        }

        @Override
        public Vm restore(Path snapshot, String backend) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<String> backends() {
            return List.of("emu");
        }

        private Vm vm(VmSpec spec, double ops) {
            AtomicReference<VmState> state = new AtomicReference<>(VmState.RUNNING);
            WorkloadRun run = (WorkloadRun) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {WorkloadRun.class},
                    (p, m, a) -> switch (m.getName()) {
                        case "latest" -> new ThroughputSample(System.currentTimeMillis(), ops, ops * 4096);
                        case "samples" -> List.of();
                        case "workload" -> spec.workload();
                        case "parameters" -> Map.of();
                        case "invariant" -> Optional.empty();
                        case "isRunning" -> true;
                        case "hashCode" -> System.identityHashCode(p);
                        case "equals" -> p == a[0];
                        default -> null;
                    });
            return (Vm) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Vm.class},
                    (p, m, a) -> switch (m.getName()) {
                        case "id", "toString" -> spec.name();
                        case "spec" -> spec;
                        case "backend" -> spec.backend();
                        case "state" -> state.get();
                        case "workload" -> Optional.of(run);
                        case "destroy" -> {
                            state.set(VmState.STOPPED);
                            vms.remove(p);
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(p);
                        case "equals" -> p == a[0];
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
        }
    }

    /** Lines of text, for specs written inline. */
    public static String lines(String... lines) {
        return String.join("\n", new ArrayList<>(List.of(lines))) + "\n";
    }
}
