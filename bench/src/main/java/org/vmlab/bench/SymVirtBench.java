package org.vmlab.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.vmlab.api.hotplug.JobMigrationPlan;
import org.vmlab.api.hotplug.JobReport;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.emu.EmuBackend;
import org.vmlab.emu.EmuDeviceHotplug;
import org.vmlab.emu.EmuSettings;
import org.vmlab.engines.DefaultMigrationService;
import org.vmlab.engines.MigrationReceiver;
import org.vmlab.engines.PostcopyEngine;
import org.vmlab.engines.PrecopyEngine;
import org.vmlab.hotplug.DefaultJobCoordinator;
import org.vmlab.hotplug.InJvmGuestCooperation;
import org.vmlab.ordering.SequentialOrdering;
import org.vmlab.workloads.MpiRun;
import org.vmlab.workloads.MpiWorkload;

/**
 * bench/symvirt.sh: a 4-rank mpi job of emu VMs with an ivshmem pass-through device, in one JVM
 * (emu backend, receiver on loopback, precopy and postcopy, the job coordinator). Prints each
 * figure beside its baseline from the same run: the fast path against the fallback path; normal
 * operation with the device against a job that never had one; the job's downtime and total time
 * of a coordinated precopy and postcopy migration against the footprint; the phase costs; the
 * checkpoint and restart times. Every run checks that every message was delivered once.
 *
 * <p>Arguments: footprints per VM (e.g. {@code 256M 1G 4G}; default {@code 256M 1G});
 * {@code --paths-only} (no footprint runs), {@code --no-paths}.
 */
public final class SymVirtBench {
    private static final int RANKS = 4;
    private static final long MIB = 1 << 20;
    private static final Duration T = Duration.ofMinutes(5);

    private final Path dir;
    private final Path shm;
    private final EmuBackend backend;
    private final MigrationReceiver receiver;
    private final DefaultJobCoordinator coordinator;
    private int jobs;

    private SymVirtBench(Path dir) throws IOException {
        this.dir = dir;
        shm = Files.isDirectory(Path.of("/dev/shm")) ? Files.createTempDirectory(Path.of("/dev/shm"), "vmlab-symvirt-") : dir;
        backend = new EmuBackend(new EmuSettings(shm, dir.resolve("state"), EmuSettings.defaultMaxGuestMemory()));
        backend.registerWorkload("mpi", new MpiWorkload());
        receiver = new MigrationReceiver(n -> "emu".equals(n) ? backend : null,
                MigrationReceiver.Settings.loopback(dir.resolve("secret")).withTimeout(Duration.ofMinutes(5)));
        VmDirectory directory = backend.directory();
        DefaultMigrationService migrations = new DefaultMigrationService(directory);
        migrations.addEngine("precopy", 100, new PrecopyEngine(receiver));
        migrations.addEngine("postcopy", 50, new PostcopyEngine(receiver));
        migrations.addOrdering("sequential", 100, new SequentialOrdering());
        InJvmGuestCooperation agents = new InJvmGuestCooperation();
        EmuDeviceHotplug hotplug = new EmuDeviceHotplug(backend);
        hotplug.setAgent(agents);
        coordinator = new DefaultJobCoordinator(directory);
        coordinator.addHotplug(hotplug);
        coordinator.addChannel(agents);
        coordinator.setMigrations(migrations);
    }

    public static void main(String[] args) throws Exception {
        List<Long> footprints = new ArrayList<>();
        boolean paths = true;
        for (String a : args.length == 0 ? new String[] {"256M", "1G"} : args) {
            if (a.equals("--no-paths")) {
                paths = false;
            } else if (!a.equals("--paths-only")) {
                footprints.add(parse(a));
            }
        }
        Path dir = Files.createTempDirectory("vmlab-symvirt-");
        SymVirtBench b = new SymVirtBench(dir);
        try {
            b.run(footprints, paths);
        } finally {
            b.backend.close();
            b.receiver.close();
            for (Path d : new java.util.LinkedHashSet<>(List.of(dir, b.shm))) {
                try (Stream<Path> s = Files.walk(d)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private void run(List<Long> footprints, boolean paths) throws Exception {
        System.out.printf("symvirt: %d-rank mpi job, emu, one JVM, %d processors%n", RANKS, Runtime.getRuntime().availableProcessors());
        if (paths) {
            paths();
        }
        for (long f : footprints) {
            footprint(f);
        }
    }

    /**
     * Message path and normal operation, each side measured three times, alternating, median
     * reported (the machine may be shared): compute-free exchanges of small and large messages,
     * then a compute-bound job with the device against one that never had it.
     */
    private void paths() throws Exception {
        for (String size : List.of("4K", "256K")) {
            double[] m = alternate(() -> job(true, 64 * MIB, 16 * MIB, "0", size), () -> job(false, 64 * MIB, 16 * MIB, "0", size));
            System.out.printf("message path (%s to each of 3 peers per iteration, no compute): fast path %.0f it/s"
                    + " | baseline fallback (TCP over loopback) %.0f it/s | x%.2f%n", size, m[0], m[1], m[0] / m[1]);
        }
        double[] n = alternate(() -> job(true, 64 * MIB, 16 * MIB, "5", "64K"), () -> job(false, 64 * MIB, 16 * MIB, "5", "64K"));
        System.out.printf("normal operation (5 ms compute, 64 KiB messages): device attached %.1f it/s"
                + " | baseline never had a device %.1f it/s | overhead %.1f%%%n", n[0], n[1], 100 * (n[1] - n[0]) / n[1]);
    }

    /** Medians of three alternating 2-second runs of each job. */
    private double[] alternate(JobFactory a, JobFactory b) throws Exception {
        double[][] r = new double[2][3];
        for (int i = 0; i < 3; i++) {
            r[0][i] = rate(a.start(), 2000);
            destroyAll();
            r[1][i] = rate(b.start(), 2000);
            destroyAll();
        }
        java.util.Arrays.sort(r[0]);
        java.util.Arrays.sort(r[1]);
        return new double[] {r[0][1], r[1][1]};
    }

    private interface JobFactory {
        List<Vm> start() throws IOException;
    }

    private void footprint(long footprint) throws Exception {
        Map<String, JobReport> byEngine = new HashMap<>();
        for (String engine : List.of("precopy", "postcopy")) {
            List<Vm> vms = job(true, footprint + 32 * MIB, footprint, "5", "64K");
            rate(vms, 1000);
            JobReport r = coordinator.migrate(new JobMigrationPlan(names(), engine, Map.of(), false, T), p -> { });
            check("after " + engine);
            byEngine.put(engine, r);
            destroyAll();
        }
        JobReport pre = byEngine.get("precopy");
        JobReport post = byEngine.get("postcopy");
        System.out.printf("footprint %5d MiB/VM: postcopy job downtime %6d ms, total %6d ms (VM downtime max %4d ms)"
                        + " | baseline precopy job downtime %6d ms, total %6d ms (VM downtime max %4d ms)%n",
                footprint / MIB, post.jobDowntimeMs(), post.totalMs(), maxDowntime(post), pre.jobDowntimeMs(), pre.totalMs(),
                maxDowntime(pre));
        for (JobReport r : List.of(pre, post)) {
            System.out.printf("  phases (%s): quiesce %d ms, detach %d ms, migrate %d ms, attach %d ms, resume %d ms%n",
                    r.migrations().get(0).engine(), r.phaseMs("quiesce"), r.phaseMs("detach"), r.phaseMs("migrate"),
                    r.phaseMs("attach"), r.phaseMs("resume"));
        }
        List<Vm> vms = job(true, footprint + 32 * MIB, footprint, "5", "64K");
        rate(vms, 1000);
        Path cp = dir.resolve("cp-" + footprint);
        JobReport c = coordinator.checkpoint(names(), cp, T, p -> { });
        JobReport s = coordinator.restart(cp, T, p -> { });
        check("after restart");
        System.out.printf("  checkpoint %d ms (snapshots %d ms) | restart %d ms (restore %d ms) | baseline: the VMM work alone,"
                + " snapshots + restores %d ms%n", c.totalMs(), c.phaseMs("checkpoint"), s.totalMs(), s.phaseMs("restore"),
                c.phaseMs("checkpoint") + s.phaseMs("restore"));
        destroyAll();
        try (Stream<Path> files = Files.walk(cp)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static long maxDowntime(JobReport r) {
        return r.migrations().stream().mapToLong(MigrationReport::downtimeMs).max().orElse(0);
    }

    private List<String> names() {
        List<String> out = new ArrayList<>();
        for (int r = 0; r < RANKS; r++) {
            out.add("j" + jobs + "r" + r);
        }
        return out;
    }

    /** A new running job; waits until every rank filled its footprint and iterates. */
    private List<Vm> job(boolean device, long memory, long footprint, String computeMs, String messageSize) throws IOException {
        jobs++;
        int[] ports = new int[RANKS];
        for (int i = 0; i < RANKS; i++) {
            try (ServerSocket s = new ServerSocket(0)) {
                ports[i] = s.getLocalPort();
            }
        }
        Path fabric = dir.resolve("fabric-" + jobs);
        try (RandomAccessFile f = new RandomAccessFile(fabric.toFile(), "rw")) {
            f.setLength(64 * MIB);
        }
        List<Vm> vms = new ArrayList<>();
        List<String> names = names();
        for (int r = 0; r < RANKS; r++) {
            List<String> peers = new ArrayList<>();
            for (int p = 0; p < RANKS; p++) {
                if (p != r) {
                    peers.add("127.0.0.1:" + ports[p]);
                }
            }
            Map<String, String> params = Map.of("rank", "" + r, "listen", "" + ports[r], "peers", String.join(",", peers),
                    "compute-ms", computeMs, "message-size", messageSize, "memory", Long.toString(footprint));
            List<DeviceSpec> devices = device ? List.of(new DeviceSpec("ib0", "ivshmem", true,
                    Map.of("path", fabric.toString()))) : List.of();
            vms.add(backend.create(VmSpec.of(names.get(r), EmuBackend.NAME, memory).withDevices(devices).withWorkload("mpi", params)));
        }
        long deadline = System.currentTimeMillis() + 600_000;
        while (names.stream().anyMatch(n -> iterations(n) < 5)) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("the job did not start in 10 minutes");
            }
            sleep(50);
        }
        return vms;
    }

    private Optional<MpiRun> rank(String name) {
        return backend.vms().stream().filter(v -> v.spec().name().equals(name)).flatMap(v -> v.workload().stream())
                .filter(MpiRun.class::isInstance).map(MpiRun.class::cast).filter(MpiRun::isRunning).findFirst();
    }

    private long iterations(String name) {
        return rank(name).map(MpiRun::iterations).orElse(-1L);
    }

    /** Iterations per second of rank 0 over {@code ms}. */
    private double rate(List<Vm> vms, long ms) {
        String name = vms.get(0).spec().name();
        long i0 = iterations(name);
        long t0 = System.nanoTime();
        sleep(ms);
        return (iterations(name) - i0) / ((System.nanoTime() - t0) / 1e9);
    }

    private void check(String when) {
        for (String n : names()) {
            MpiRun r = rank(n).orElseThrow(() -> new IllegalStateException(n + " is not running " + when));
            if (r.lost() != 0 || r.corrupt() != 0) {
                throw new IllegalStateException(n + " " + when + ": lost " + r.lost() + ", corrupt " + r.corrupt());
            }
        }
        long i0 = iterations(names().get(0));
        long deadline = System.currentTimeMillis() + 60_000;
        while (iterations(names().get(0)) < i0 + 5) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("the job does not progress " + when);
            }
            sleep(20);
        }
    }

    private void destroyAll() {
        backend.vms().forEach(Vm::destroy);
        sleep(200);
    }

    private static long parse(String s) {
        String t = s.trim().toUpperCase();
        long mult = t.endsWith("G") ? 1L << 30 : t.endsWith("M") ? MIB : 1;
        return Long.parseLong(t.replaceAll("[GM]$", "")) * mult;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
