package org.vmlab.qemu;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.vmlab.api.ByteSize;
import org.vmlab.api.VmlabException;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.parameter.ParameterSet;
import org.vmlab.api.parameter.ParameterValues;
import org.vmlab.api.vm.VmSpec;

/**
 * The guest kernel command line for a spec: the console, and the spec's workload as options
 * vmlab's guest init reads ({@code vmlab.workload=memory vmlab.mem=<MiB> vmlab.rate=<MiB/s>|max
 * vmlab.dist=uniform|zipf vmlab.zipf=<s> vmlab.check=<s> vmlab.report=1 vmlab.seed=<n>}, see
 * guest/README.md; an idle spec says {@code vmlab.workload=idle}, since the image's default is
 * memory). The guest reports its rate every second, one throughput sample each.
 *
 * <p>The memory workload's parameters are the workloads bundle's own (names, defaults, ranges and
 * help, from the {@code memory} workload service), checked by the shared {@link ParameterSet}, so
 * one spec means the same on both backends; qemu adds {@link #CHECK}. What the guest's program
 * cannot do is refused in one line naming it: {@code fill} and {@code tasks} (it rewrites whole
 * pages from one task), {@code distribution=sequential}, a seed outside 0 to {@link #MAX_SEED}.
 *
 * @param kernelOptions      the guest kernel command line
 * @param workloadParameters the workload's effective parameters as the guest runs them (empty
 *                           for idle)
 */
record GuestCommandLine(String kernelOptions, Map<String, String> workloadParameters) {
    static final String IDLE = "idle";
    static final String MEMORY = "memory";
    /** The seconds between vmlab-memwork's own full checks of its pages: qemu only. */
    static final Parameter CHECK = Parameter.decimal("check", "5", 0.1, 86_400,
            "seconds between the guest program's own full self-checks (qemu only)");
    /** The largest seed vmlab-memwork takes. */
    static final long MAX_SEED = 9_000_000_000_000_000L;
    /** Parameters of the memory workload vmlab-memwork has no equivalent of. */
    private static final Set<String> NOT_IN_GUEST = Set.of("fill", "tasks");

    GuestCommandLine {
        workloadParameters = Map.copyOf(workloadParameters);
    }

    /**
     * @param extra            options appended for every guest (may be empty)
     * @param memoryParameters the {@code memory} workload's parameters, empty when that workload
     *                         is not installed
     * @throws VmlabException naming the first thing wrong with the spec's workload
     */
    static GuestCommandLine of(VmSpec spec, String extra, Optional<List<Parameter>> memoryParameters) {
        StringBuilder sb = new StringBuilder("console=ttyS0 panic=-1 quiet");
        Map<String, String> effective = Map.of();
        String w = spec.workload();
        if (w == null || IDLE.equals(w)) {
            sb.append(" vmlab.workload=idle");
        } else if (MEMORY.equals(w)) {
            ParameterValues v = memoryValues(spec, memoryParameters.orElseThrow(() -> new VmlabException("VM '"
                    + spec.name() + "' runs workload 'memory', which is not installed (feature vmlab-workloads);"
                    + " qemu guests take its parameters from it")));
            try {
                appendMemory(sb, spec, v);
            } catch (IllegalStateException e) { // a memory workload without a parameter the guest needs
                throw new VmlabException("VM '" + spec.name() + "': " + e.getMessage() + ", which qemu guests need");
            }
            effective = new LinkedHashMap<>(v.asMap());
            effective.keySet().removeAll(NOT_IN_GUEST);
        } else {
            throw new VmlabException("VM '" + spec.name() + "': qemu guests run the workloads idle and memory"
                    + " (vmlab-memwork), not '" + w + "'");
        }
        if (!extra.isEmpty()) {
            sb.append(' ').append(extra);
        }
        return new GuestCommandLine(sb.toString(), effective);
    }

    /** The spec's memory-workload parameters checked by the shared validator, then against the guest. */
    private static ParameterValues memoryValues(VmSpec spec, List<Parameter> workloadParameters) {
        ParameterValues v;
        try {
            v = ParameterSet.parameters("workload 'memory' on qemu", workloadParameters).plus(List.of(CHECK))
                    .validate(spec.workloadParameters());
        } catch (IllegalArgumentException e) {
            throw new VmlabException("VM '" + spec.name() + "': " + e.getMessage());
        }
        List<String> refused = new ArrayList<>();
        for (String p : NOT_IN_GUEST) {
            if (spec.workloadParameters().containsKey(p)) {
                refused.add(p + "=" + v.asMap().get(p));
            }
        }
        refused.sort(null);
        if ("sequential".equals(v.asMap().get("distribution"))) {
            refused.add("distribution=sequential");
        }
        long seed = v.has("seed") ? v.integer("seed") : 0;
        if (seed < 0 || seed > MAX_SEED) {
            refused.add("seed=" + seed);
        }
        if (!refused.isEmpty()) {
            throw new VmlabException("VM '" + spec.name() + "': the memory workload on qemu cannot honour "
                    + String.join(", ", refused) + " (its guest program vmlab-memwork rewrites whole pages from"
                    + " one task, uniform or zipf, with a seed from 0 to 9e15)");
        }
        return v;
    }

    private static void appendMemory(StringBuilder sb, VmSpec spec, ParameterValues v) {
        long workingSet = v.bytes("working-set");
        long mib = Math.max(1, (workingSet + (1L << 20) - 1) >> 20);
        if (mib << 20 >= spec.memoryBytes() * 3 / 4) {
            throw new VmlabException("VM '" + spec.name() + "': working-set " + new ByteSize(workingSet)
                    + " does not fit in a " + new ByteSize(spec.memoryBytes()) + " qemu guest (keep it under 3/4)");
        }
        long rate = v.bytes("rate");
        sb.append(" vmlab.workload=memory vmlab.mem=").append(mib)
                .append(" vmlab.rate=").append(rate == 0 ? "max"
                        : String.format(Locale.ROOT, "%.3f", rate / (double) (1L << 20)))
                .append(" vmlab.dist=").append(v.choice("distribution"))
                .append(" vmlab.zipf=").append(v.decimal("zipf-s"))
                .append(" vmlab.check=").append(String.format(Locale.ROOT, "%.3f", v.decimal("check")))
                .append(" vmlab.report=1")
                .append(" vmlab.seed=").append(v.integer("seed"));
    }
}
