package org.vmlab.experiment.run;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.api.provider.ProviderInfo;
import org.vmlab.experiment.store.JsonFiles;

/**
 * {@code provenance.json}: what ran and where, enough to tell two results apart or run one
 * again: vmlab's bundles and versions, the installed providers, the spec's git commit where it is
 * in a repository, the JVM, QEMU's version, the kernel and the machine (cores, memory), and for
 * each start or resume the load average at its start and end.
 */
final class Provenance {
    private static final long TOOL_TIMEOUT_S = 5;

    private final Supplier<Map<String, String>> bundles;
    private final ProviderCatalog catalog;

    /** @param bundles symbolic name → version of the bundles that make up vmlab */
    Provenance(Supplier<Map<String, String>> bundles, ProviderCatalog catalog) {
        this.bundles = bundles;
        this.catalog = catalog;
    }

    /** Writes the file at a (re)start: the whole description, plus a new session with the load now. */
    @SuppressWarnings("unchecked")
    void started(Path resultsDir, Path spec) throws IOException {
        Path file = resultsDir.resolve("provenance.json");
        List<Map<String, Object>> sessions = new ArrayList<>();
        Object git = null;
        if (Files.isRegularFile(file)) {
            Map<String, Object> before = JsonFiles.MAPPER.readValue(file.toFile(), LinkedHashMap.class);
            if (before.get("sessions") instanceof List<?> l) {
                l.forEach(x -> sessions.add((Map<String, Object>) x));
            }
            git = before.get("git"); // a resume reads the stored copy: the first start knew the commit
        }
        Map<String, Object> p = describe(spec);
        if (git != null) {
            p.put("git", git);
        }
        Map<String, Object> session = new LinkedHashMap<>();
        session.put("started", Instant.now().toString());
        session.put("loadAtStart", load());
        sessions.add(session);
        p.put("sessions", sessions);
        JsonFiles.write(file, p);
    }

    /** Adds the end and the load now to the last session. */
    @SuppressWarnings("unchecked")
    void ended(Path resultsDir) throws IOException {
        Path file = resultsDir.resolve("provenance.json");
        Map<String, Object> p = JsonFiles.MAPPER.readValue(file.toFile(), LinkedHashMap.class);
        List<Map<String, Object>> sessions = (List<Map<String, Object>>) p.get("sessions");
        Map<String, Object> last = sessions.get(sessions.size() - 1);
        last.put("ended", Instant.now().toString());
        last.put("loadAtEnd", load());
        JsonFiles.write(file, p);
    }

    private Map<String, Object> describe(Path spec) {
        Map<String, Object> p = new LinkedHashMap<>();
        Map<String, String> b = bundles.get();
        p.put("vmlabVersion", b.getOrDefault("org.vmlab.experiment", "unknown"));
        p.put("bundles", b);
        List<Map<String, Object>> providers = new ArrayList<>();
        for (ProviderInfo i : catalog.providers()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("family", i.family());
            m.put("name", i.name());
            m.put("bundle", i.bundle());
            m.put("version", i.bundleVersion());
            m.put("default", i.isDefault());
            providers.add(m);
        }
        p.put("providers", providers);
        p.put("git", git(spec.toAbsolutePath().getParent()));
        Map<String, Object> jvm = new LinkedHashMap<>();
        jvm.put("version", System.getProperty("java.version"));
        jvm.put("vendor", System.getProperty("java.vendor"));
        jvm.put("vm", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"));
        jvm.put("maxHeapBytes", Runtime.getRuntime().maxMemory());
        jvm.put("arguments", ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("-X") || a.startsWith("-XX")).toList());
        p.put("jvm", jvm);
        p.put("karafVersion", System.getProperty("karaf.version", "unknown"));
        p.put("qemu", firstLine(List.of("qemu-system-x86_64", "--version")).orElse("not installed"));
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("hostname", read("/proc/sys/kernel/hostname").orElse("unknown"));
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        machine.put("kernel", System.getProperty("os.version"));
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("memoryBytes", memTotal());
        machine.put("cpu", cpuModel());
        p.put("machine", machine);
        return p;
    }

    private static Map<String, Object> git(Path dir) {
        Map<String, Object> g = new LinkedHashMap<>();
        java.util.Optional<String> commit = firstLine(List.of("git", "-C", dir.toString(), "rev-parse", "HEAD"));
        g.put("specCommit", commit.orElse("unknown (the spec is not in a git repository, or git is not installed)"));
        if (commit.isPresent()) {
            g.put("specDirty", firstLine(List.of("git", "-C", dir.toString(), "status", "--porcelain", "--", ".")).isPresent());
        }
        return g;
    }

    /** The 1, 5 and 15 minute load averages. */
    static List<Double> load() {
        return read("/proc/loadavg").map(s -> {
            String[] f = s.split("\\s+");
            return List.of(Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]));
        }).orElse(List.of(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
    }

    private static long memTotal() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: unknown
        }
        return -1;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException e) {
            // not Linux: unknown
        }
        return "unknown";
    }

    private static java.util.Optional<String> read(String file) {
        try {
            return java.util.Optional.of(Files.readString(Path.of(file)).strip());
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }

    /** The first line a tool prints, if it runs and exits 0 within a few seconds. */
    static java.util.Optional<String> firstLine(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            if (!p.waitFor(TOOL_TIMEOUT_S, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return java.util.Optional.empty();
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.exitValue() == 0 && !out.isEmpty() ? java.util.Optional.of(out.lines().findFirst().orElse("")) : java.util.Optional.empty();
        } catch (IOException e) {
            return java.util.Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return java.util.Optional.empty();
        }
    }
}
