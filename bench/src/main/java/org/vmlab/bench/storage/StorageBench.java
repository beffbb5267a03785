package org.vmlab.bench.storage;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;

import org.vmlab.api.DataRate;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.storage.PrecacheOptions;
import org.vmlab.api.storage.PrecacheSession;
import org.vmlab.storage.block.BlockBitmap;
import org.vmlab.storage.block.FileBlockDevice;
import org.vmlab.storage.nbd.DeviceExport;
import org.vmlab.storage.nbd.NbdServer;
import org.vmlab.transport.LinkModel;
import org.vmlab.transport.WanLink;

/**
 * bench/storage.sh: each figure beside its baseline from the same run.
 * <pre>
 *   StorageBench evac DISK_MIB RATE RTT_MS   evacuation: none vs recency vs all, and QEMU's blockdev-mirror
 *   StorageBench io SECONDS RATE RTT_MS      guest write throughput with pre-caching running vs none
 *   StorageBench nbd MIB RUNS                nbdcopy through vmlab's NBD server vs qemu-nbd
 *   StorageBench relay RATE RTT_MS PORT      a WanLink to 127.0.0.1:PORT; prints its port, runs until stdin closes
 * </pre>
 */
public final class StorageBench {
    private StorageBench() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("vmlab-storage-bench");
        try {
            switch (args[0]) {
                case "evac" -> evac(dir, Long.parseLong(args[1]), model(args[2], args[3]));
                case "io" -> io(dir, Integer.parseInt(args[1]), model(args[2], args[3]));
                case "nbd" -> NbdThroughput.run(dir, Long.parseLong(args[1]), Integer.parseInt(args[2]));
                case "relay" -> relay(model(args[1], args[2]), Integer.parseInt(args[3]));
                default -> throw new IllegalArgumentException("evac, io, nbd or relay, not " + args[0]);
            }
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static LinkModel model(String rate, String rttMs) {
        return LinkModel.of(DataRate.parse(rate), Duration.ofMillis(Long.parseLong(rttMs)));
    }

    /** A disk image of random content (nothing for zero elision to skip). */
    static Path randomImage(Path dir, long mib) throws Exception {
        Path p = dir.resolve("pristine.img");
        byte[] chunk = new byte[1 << 20];
        Random rnd = new Random(9);
        try (OutputStream out = Files.newOutputStream(p)) {
            for (long i = 0; i < mib; i++) {
                rnd.nextBytes(chunk);
                out.write(chunk);
            }
        }
        return p;
    }

    private static void evac(Path dir, long mib, LinkModel model) throws Exception {
        Path pristine = randomImage(dir, mib);
        System.out.printf("evac: %d MiB disk, WAN %s, writes: 100 blocks/s of 4 KiB, 90%% to a hot 5%% of the disk;"
                + " pre-caching until 94%% is at the backup, then 30 s more%n",
                mib, model);
        EvacuationScenario sc = new EvacuationScenario(dir, pristine, model, 100, 30);
        EvacuationScenario.Result none = null;
        for (String s : new String[] {"none", "recency", "all"}) {
            EvacuationScenario.Result r = sc.run(s);
            if (none == null) {
                none = r;
            }
            System.out.printf("evac: %-8s pre-caching %.1f s, %.1f MiB sent, %d writes; at the disaster %d blocks"
                            + " not at the backup; evacuation %.1f s, %.1f MiB fetched, identical=%s%s%n", s,
                    r.precacheSeconds(), r.precacheBytes() / 1048576.0, r.writes(), r.blocksLeft(),
                    r.evacuationSeconds(), r.bytesFetched() / 1048576.0, r.identical(),
                    r == none ? " (baseline)" : String.format(" -> %.1f%% less than none (goal >= 97.5%%)",
                            100 * (1 - r.evacuationSeconds() / none.evacuationSeconds())));
        }
        Path target = dir.resolve("mirror-dst.img");
        try (FileBlockDevice t = FileBlockDevice.open(target, mib << 20, false)) {
            t.flush();
        }
        double q = QemuMirror.run(dir, pristine, target, model);
        if (q < 0) {
            System.out.println("evac: qemu blockdev-mirror skipped (needs qemu-system-x86_64 and qemu-nbd)");
        } else {
            System.out.printf("evac: qemu blockdev-mirror (sync=full, no pre-caching) %.1f s, identical=%s;"
                            + " vmlab none %.1f s -> %.2fx of QEMU's time%n", q,
                    EvacuationScenario.identical(pristine, target), none.evacuationSeconds(),
                    none.evacuationSeconds() / q);
        }
    }

    /** Guest write throughput with pre-caching (all) running and without, alternating 3 rounds, medians. */
    private static void io(Path dir, int seconds, LinkModel model) throws Exception {
        Path pristine = randomImage(dir, 256);
        String[] names = {"none", "all"};
        java.util.List<java.util.List<Double>> rates = java.util.List.of(new java.util.ArrayList<>(),
                new java.util.ArrayList<>());
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 2; i++) {
                double r = ioRun(dir, pristine, names[i], seconds, model);
                rates.get(i).add(r);
            }
        }
        double none = NbdThroughput.median(rates.get(0));
        double all = NbdThroughput.median(rates.get(1));
        System.out.printf("io: guest writes (random 4 KiB of random data, as fast as it can, flush every 256, %d s x 3"
                + " alternating): with pre-caching (all) %.1f MiB/s vs none %.1f MiB/s (baseline) -> %.1f%% lower"
                + " (goal <= 5%%); runs none %s, all %s%n", seconds, all, none, 100 * (1 - all / none), rates.get(0),
                rates.get(1));
    }

    private static double ioRun(Path dir, Path pristine, String strategy, int seconds, LinkModel model)
            throws Exception {
        Path src = dir.resolve("io.img");
        Files.copy(pristine, src, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (FileBlockDevice disk = FileBlockDevice.open(src, 0, false);
             FileBlockDevice backup = FileBlockDevice.open(dir.resolve("io-b.img"), disk.sizeBytes(), false);
             NbdServer srv = NbdServer.start("127.0.0.1", 0, 8, 10_000);
             WanLink wan = WanLink.start(model, new InetSocketAddress("127.0.0.1", srv.port()))) {
            srv.addExport(new DeviceExport("backup", "", backup, BlockBitmap.inMemory(backup.blockCount()), true));
            PrecacheSession s = EvacuationScenario.strategy(strategy).start(disk, new Endpoint("127.0.0.1", wan.port()),
                    new PrecacheOptions(DataRate.UNLIMITED, Duration.ofMillis(200), Map.of("export", "backup")));
            DiskWriter w = new DiskWriter(disk, 0.05, 0.9, 0);
            Thread.sleep(seconds * 1000L);
            w.close();
            s.close();
            return Math.round(w.written() * 4096.0 / 1048576 / seconds * 10) / 10.0;
        }
    }

    private static void relay(LinkModel model, int port) throws Exception {
        try (WanLink l = WanLink.start(model, new InetSocketAddress("127.0.0.1", port))) {
            System.out.println(l.port());
            System.out.flush();
            while (System.in.read() >= 0) {
                // runs until stdin closes
            }
        }
    }
}
