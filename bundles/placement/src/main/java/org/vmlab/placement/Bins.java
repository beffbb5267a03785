package org.vmlab.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.vmlab.api.placement.PlacementInput;
import org.vmlab.api.placement.PlacementInput.NodeCapacity;
import org.vmlab.api.placement.PlacementInput.VmDemand;

/**
 * The nodes as bins: what each may still take under the thresholds, updated as a policy places
 * VMs. A CPU threshold of 0 means CPUs are not a limit.
 */
final class Bins {
    private final Map<String, Bin> bins = new LinkedHashMap<>();

    Bins(PlacementInput input, double cpuThreshold, double memoryThreshold) {
        for (NodeCapacity n : input.nodes()) {
            bins.put(n.name(), new Bin(n.name(), cpuThreshold <= 0 ? Double.MAX_VALUE : n.cpus() * cpuThreshold,
                    (long) (n.memoryBytes() * memoryThreshold)));
        }
        for (VmDemand vm : input.vms()) {
            Bin b = bins.get(vm.node());
            if (b != null) {
                b.add(vm);
            }
        }
    }

    /** One node: its limits and the VMs placed on it. */
    static final class Bin {
        final String node;
        final double cpuLimit;
        final long memoryLimit;
        final List<VmDemand> vms = new ArrayList<>();
        double cpu;
        long memory;

        Bin(String node, double cpuLimit, long memoryLimit) {
            this.node = node;
            this.cpuLimit = cpuLimit;
            this.memoryLimit = memoryLimit;
        }

        boolean fits(VmDemand vm) {
            return memory + vm.memoryBytes() <= memoryLimit && cpu + vm.cpuLoad() <= cpuLimit + 1e-9;
        }

        void add(VmDemand vm) {
            vms.add(vm);
            cpu += vm.cpuLoad();
            memory += vm.memoryBytes();
        }

        void remove(VmDemand vm) {
            vms.remove(vm);
            cpu -= vm.cpuLoad();
            memory -= vm.memoryBytes();
        }

        /** How full it is, the larger of its memory and CPU shares. */
        double fill() {
            double m = memoryLimit <= 0 ? 1 : (double) memory / memoryLimit;
            double c = cpuLimit == Double.MAX_VALUE ? 0 : cpuLimit <= 0 ? 1 : cpu / cpuLimit;
            return Math.max(m, c);
        }
    }

    Optional<Bin> get(String node) {
        return Optional.ofNullable(bins.get(node));
    }

    List<Bin> all() {
        return List.copyOf(bins.values());
    }

    /** Bins with VMs, fullest first (ties by name), so consolidation fills them before others. */
    List<Bin> usedFullestFirst() {
        return bins.values().stream().filter(b -> !b.vms.isEmpty())
                .sorted(Comparator.comparingDouble(Bin::fill).reversed().thenComparing(b -> b.node)).toList();
    }

    /** VMs largest first: memory, then CPU, then id, so the hardest to place go first. */
    static List<VmDemand> largestFirst(List<VmDemand> vms) {
        return vms.stream().sorted(Comparator.comparingLong(VmDemand::memoryBytes).reversed()
                .thenComparing(Comparator.comparingDouble(VmDemand::cpuLoad).reversed())
                .thenComparing(VmDemand::id)).toList();
    }
}
