package org.vmlab.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.vmlab.api.ByteSize;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.workload.ThroughputSample;
import org.vmlab.emu.EmuBackend;
import org.vmlab.emu.EmuSettings;
import org.vmlab.workloads.MemoryWorkload;
import org.vmlab.workloads.WebRun;
import org.vmlab.workloads.WebWorkload;

/**
 * The emu backend's bench, each figure beside its baseline from the same run:
 * <ol>
 * <li>a logged guest store against an unlogged one (JMH);</li>
 * <li>the memory workload's achieved write rate against its target;</li>
 * <li>host memory per GiB of guest beyond the guest pages themselves: Java heap and resident
 * memory after warming a page cache, against the bytes of guest pages touched.</li>
 * </ol>
 */
public final class EmuBench {
    private EmuBench() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = List.of(args).contains("--quick");
        dirtyLogCost(quick);
        Path dir = Files.createTempDirectory("vmlab-bench");
        try {
            rateAccuracy(dir, quick);
            memoryOverhead(dir, quick ? 1 : 4);
        } finally {
            deleteTree(dir);
        }
    }

    private static void dirtyLogCost(boolean quick) throws Exception {
        Options opts = new OptionsBuilder().include(DirtyLogBench.class.getSimpleName())
                .forks(1).warmupIterations(quick ? 1 : 3).measurementIterations(quick ? 2 : 5)
                .warmupTime(TimeValue.seconds(1)).measurementTime(TimeValue.seconds(1))
                .jvmArgs("-Xmx1g").build();
        double unlogged = 0;
        double logged = 0;
        for (RunResult r : new Runner(opts).run()) {
            double score = r.getPrimaryResult().getScore();
            if (r.getParams().getParam("logging").equals("true")) {
                logged = score;
            } else {
                unlogged = score;
            }
        }
        System.out.println();
        System.out.println("== 1. dirty logging on the write path (1 GiB guest, random 8-byte stores)");
        System.out.printf("baseline: unlogged store   %8.2f ns%n", unlogged);
        System.out.printf("logged store (with syncs)  %8.2f ns   ratio logged/unlogged %.2f%n", logged, logged / unlogged);
    }

    private static void rateAccuracy(Path dir, boolean quick) throws Exception {
        System.out.println();
        System.out.println("== 2. memory workload rate accuracy (uniform writes over 256 MiB, 2 vCPUs)");
        System.out.printf("%-12s %14s %10s%n", "target", "achieved", "achieved/target");
        try (EmuBackend backend = new EmuBackend(EmuSettings.forTests(dir.resolve("rate")))) {
            backend.registerWorkload(MemoryWorkload.NAME, new MemoryWorkload());
            for (String rate : List.of("10M", "50M", "200M")) {
                Vm vm = backend.create(VmSpec.of("rate-" + rate, "emu", 1L << 30)
                        .withWorkload(MemoryWorkload.NAME, Map.of("rate", rate, "working-set", "256M")));
                Thread.sleep(1500); // let the first full-second sample settle
                int seconds = quick ? 3 : 6;
                int before = vm.workload().orElseThrow().samples().size();
                Thread.sleep(seconds * 1000L + 200);
                List<ThroughputSample> samples = vm.workload().orElseThrow().samples();
                double achieved = samples.subList(before, samples.size()).stream()
                        .mapToDouble(ThroughputSample::bytesPerSecond).average().orElse(0);
                double target = ByteSize.parse(rate).bytes();
                System.out.printf("%-12s %11.2f MiB/s %10.4f%n", rate + "iB/s", achieved / (1 << 20), achieved / target);
                vm.destroy();
            }
        }
    }

    private static void memoryOverhead(Path dir, int guestGiB) throws Exception {
        System.out.println();
        System.out.printf("== 3. host memory beyond guest pages (%d GiB guest, web workload warming %d GiB of page cache)%n",
                guestGiB, Math.max(1, guestGiB * 3 / 4));
        long heapBefore = heapUsed();
        long rssBefore = rss();
        try (EmuBackend backend = new EmuBackend(EmuSettings.forTests(dir.resolve("mem")))) {
            backend.registerWorkload(WebWorkload.NAME, new WebWorkload());
            long guest = (long) guestGiB << 30;
            long cache = Math.max(1L << 30, guest * 3 / 4);
            Path disk = dir.resolve("web.img");
            long start = System.nanoTime();
            Vm vm = backend.create(VmSpec.of("web", "emu", guest).withDisk(disk, cache)
                    .withWorkload(WebWorkload.NAME, Map.of("files", cache + "", "warm", "true", "rate", "1")));
            WebRun run = (WebRun) vm.workload().orElseThrow();
            while (!run.warmed()) {
                Thread.sleep(200);
            }
            long warmMs = (System.nanoTime() - start) / 1_000_000;
            long touched = vm.guestOs().orElseThrow().cachedPages() * 4096L;
            long heap = heapUsed() - heapBefore;
            long rss = rss() - rssBefore;
            System.out.printf("warm-up of %s: %d ms%n", new ByteSize(cache), warmMs);
            System.out.printf("baseline: guest pages touched      %10s%n", new ByteSize(touched));
            System.out.printf("resident memory growth             %10s  (%.3f x pages touched)%n", new ByteSize(Math.max(0, rss)), (double) rss / touched);
            System.out.printf("Java heap growth                   %10s  = %s per GiB of guest%n", new ByteSize(Math.max(0, heap)),
                    new ByteSize(Math.max(0, heap) / guestGiB));
            System.out.printf("resident beyond guest pages        %10s  = %s per GiB of guest%n", new ByteSize(Math.max(0, rss - touched)),
                    new ByteSize(Math.max(0, rss - touched) / guestGiB));
            vm.destroy();
        }
    }

    private static long heapUsed() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Resident set size of this process, from /proc (Linux). */
    private static long rss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return 0;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
