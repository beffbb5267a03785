package org.vmlab.qemu;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.vmlab.api.ByteSize;
import org.vmlab.api.VmlabException;
import org.vmlab.api.vm.VmSpec;

/**
 * The guest kernel command line for a spec: the console, and the spec's workload as options
 * vmlab's guest init reads ({@code vmlab.workload=memory vmlab.mem=<MiB> vmlab.rate=<MiB/s>|max
 * vmlab.dist=uniform|zipf vmlab.zipf=<s> vmlab.check=<s> vmlab.report=1 [vmlab.seed=<n>]}, see
 * guest/README.md; an idle spec says {@code vmlab.workload=idle}, since the image's default is
 * memory). Parameters use the names and units of the emu {@code memory} workload, so one spec
 * runs on both backends; the guest reports its rate every second, one throughput sample each.
 */
final class GuestCommandLine {
    static final String IDLE = "idle";
    static final String MEMORY = "memory";
    static final Set<String> MEMORY_PARAMS = Set.of("working-set", "rate", "distribution", "zipf-s", "check",
            "seed");

    private GuestCommandLine() {
    }

    static String of(VmSpec spec, String extra) {
        StringBuilder sb = new StringBuilder("console=ttyS0 panic=-1 quiet");
        Map<String, String> p = effectiveParameters(spec);
        if (MEMORY.equals(spec.workload())) {
            long mib = Math.max(1, (ByteSize.parse(p.get("working-set")).bytes() + (1L << 20) - 1) >> 20);
            if (mib << 20 >= spec.memoryBytes() * 3 / 4) {
                throw new VmlabException("VM '" + spec.name() + "': working-set " + p.get("working-set")
                        + " does not fit in a " + new ByteSize(spec.memoryBytes()) + " qemu guest (keep it under 3/4)");
            }
            long rate = ByteSize.parse(p.get("rate")).bytes();
            double check = Double.parseDouble(p.get("check"));
            sb.append(" vmlab.workload=memory vmlab.mem=").append(mib)
                    .append(" vmlab.rate=").append(rate == 0 ? "max"
                            : String.format(Locale.ROOT, "%.3f", rate / (double) (1L << 20)))
                    .append(" vmlab.dist=").append(p.get("distribution"))
                    .append(" vmlab.zipf=").append(p.get("zipf-s"))
                    .append(" vmlab.check=").append(String.format(Locale.ROOT, "%.3f", check))
                    .append(" vmlab.report=1");
            if (p.containsKey("seed")) {
                sb.append(" vmlab.seed=").append(p.get("seed"));
            }
        } else {
            sb.append(" vmlab.workload=idle");
        }
        if (!extra.isEmpty()) {
            sb.append(' ').append(extra);
        }
        return sb.toString();
    }

    /** The workload's parameters with defaults filled in; validates names and values. */
    static Map<String, String> effectiveParameters(VmSpec spec) {
        String w = spec.workload();
        if (w == null || IDLE.equals(w)) {
            return Map.of();
        }
        if (!MEMORY.equals(w)) {
            throw new VmlabException("VM '" + spec.name() + "': qemu guests run the workloads idle and memory"
                    + " (vmlab-memwork), not '" + w + "'");
        }
        Map<String, String> given = spec.workloadParameters();
        Set<String> unknown = new TreeSet<>(given.keySet());
        unknown.removeAll(MEMORY_PARAMS);
        if (!unknown.isEmpty()) {
            throw new VmlabException("VM '" + spec.name() + "': the memory workload on qemu takes "
                    + new TreeSet<>(MEMORY_PARAMS) + ", not " + unknown);
        }
        Map<String, String> p = new LinkedHashMap<>();
        p.put("working-set", given.getOrDefault("working-set", "64M"));
        p.put("rate", given.getOrDefault("rate", "10M"));
        p.put("distribution", given.getOrDefault("distribution", "uniform"));
        p.put("zipf-s", given.getOrDefault("zipf-s", "0.99"));
        p.put("check", given.getOrDefault("check", "5"));
        if (given.containsKey("seed")) {
            p.put("seed", given.get("seed"));
            try {
                long seed = Long.parseLong(given.get("seed").trim());
                if (seed < 0 || seed > 9_000_000_000_000_000L) {
                    throw new NumberFormatException();
                }
                p.put("seed", Long.toString(seed));
            } catch (NumberFormatException e) {
                throw new VmlabException("VM '" + spec.name() + "': seed is an integer 0 to 9e15, not '"
                        + given.get("seed") + "'");
            }
        }
        try {
            double z = Double.parseDouble(p.get("zipf-s"));
            if (!(z >= 0.01 && z <= 10)) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new VmlabException("VM '" + spec.name() + "': zipf-s is 0.01 to 10, not '" + p.get("zipf-s") + "'");
        }
        try {
            long ws = ByteSize.parse(p.get("working-set")).bytes();
            if (ws < 1) {
                throw new IllegalArgumentException("must be > 0");
            }
        } catch (IllegalArgumentException e) {
            throw new VmlabException("VM '" + spec.name() + "': bad working-set '" + p.get("working-set")
                    + "' (e.g. 64M): " + e.getMessage());
        }
        String rate = p.get("rate").trim();
        if (rate.endsWith("/s")) {
            rate = rate.substring(0, rate.length() - 2);
            p.put("rate", rate);
        }
        try {
            ByteSize.parse(rate);
        } catch (IllegalArgumentException e) {
            throw new VmlabException("VM '" + spec.name() + "': bad rate '" + p.get("rate")
                    + "' (bytes/s with binary prefixes, e.g. 50M; 0 = as fast as possible)");
        }
        String dist = p.get("distribution").toLowerCase(Locale.ROOT);
        if (!dist.equals("uniform") && !dist.equals("zipf")) {
            throw new VmlabException("VM '" + spec.name() + "': distribution on qemu is uniform or zipf, not '"
                    + p.get("distribution") + "'");
        }
        p.put("distribution", dist);
        try {
            double c = Double.parseDouble(p.get("check"));
            if (!(c >= 0.1 && c <= 86400)) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new VmlabException("VM '" + spec.name() + "': check is seconds between guest self-checks,"
                    + " 0.1 to 86400, not '" + p.get("check") + "'");
        }
        return Map.copyOf(p);
    }
}
