package org.vmlab.cluster;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.vmlab.api.vm.Vm;

/**
 * How many CPUs each VM keeps busy, from the CPU time its vCPUs used between two calls: an emu
 * guest's vCPU threads (named {@code vmlab-emu-<id>-vcpu-<n>}) through the JVM's thread CPU
 * clock, a QEMU guest's process through {@code /proc/<pid>/stat}. A VM measured for the first
 * time counts as fully busy, so placement never underestimates it.
 */
final class LoadMeter {
    private static final long CLOCK_TICK_NANOS = 10_000_000L; // USER_HZ = 100 on Linux

    private record Sample(long cpuNanos, long wallNanos) {
    }

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Map<String, Sample> last = new HashMap<>();

    /** The load of each VM since the previous call, in CPUs. */
    synchronized Map<String, Double> measure(Iterable<Vm> vms) {
        long now = System.nanoTime();
        Map<String, Long> cpu = new HashMap<>();
        Map<String, Vm> byId = new HashMap<>();
        for (Vm vm : vms) {
            byId.put(vm.id(), vm);
        }
        emuCpuTimes(byId.keySet(), cpu);
        for (Vm vm : byId.values()) {
            if ("emu".equals(vm.backend())) {
                cpu.putIfAbsent(vm.id(), 0L); // no vCPU thread (idle): nothing runs
            }
        }
        for (Vm vm : byId.values()) {
            String pid = vm.details().get("qemuPid");
            if (pid != null) {
                cpu.put(vm.id(), processCpuNanos(pid));
            }
        }
        Map<String, Double> load = new HashMap<>();
        Map<String, Sample> next = new HashMap<>();
        for (Vm vm : byId.values()) {
            Long used = cpu.get(vm.id());
            Sample before = last.get(vm.id());
            double busy = vm.spec().vcpus();
            if (used != null && used >= 0) {
                next.put(vm.id(), new Sample(used, now));
                if (before != null && now > before.wallNanos() && used >= before.cpuNanos()) {
                    busy = Math.min(vm.spec().vcpus(), (double) (used - before.cpuNanos()) / (now - before.wallNanos()));
                }
            }
            load.put(vm.id(), busy);
        }
        last.clear();
        last.putAll(next);
        return load;
    }

    private void emuCpuTimes(Set<String> ids, Map<String, Long> cpu) {
        if (!threads.isThreadCpuTimeSupported()) {
            return;
        }
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null || !info.getThreadName().startsWith("vmlab-emu-")) {
                continue;
            }
            String name = info.getThreadName();
            int v = name.lastIndexOf("-vcpu-");
            if (v < 0) {
                continue;
            }
            String id = name.substring("vmlab-emu-".length(), v);
            long t = threads.getThreadCpuTime(info.getThreadId());
            if (ids.contains(id) && t >= 0) {
                cpu.merge(id, t, Long::sum);
            }
        }
    }

    private static long processCpuNanos(String pid) {
        try {
            String stat = Files.readString(Path.of("/proc", pid, "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * CLOCK_TICK_NANOS; // utime, stime
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
