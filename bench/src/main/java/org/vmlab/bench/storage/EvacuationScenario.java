package org.vmlab.bench.storage;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.vmlab.api.DataRate;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.storage.EvacuationPlan;
import org.vmlab.api.storage.EvacuationReport;
import org.vmlab.api.storage.PrecacheOptions;
import org.vmlab.api.storage.PrecacheSession;
import org.vmlab.api.storage.StoragePrecacher;
import org.vmlab.storage.block.BlockBitmap;
import org.vmlab.storage.block.FileBlockDevice;
import org.vmlab.storage.evacuate.CopyOnReadDevice;
import org.vmlab.storage.evacuate.Evacuation;
import org.vmlab.storage.nbd.DeviceExport;
import org.vmlab.storage.nbd.NbdClient;
import org.vmlab.storage.nbd.NbdServer;
import org.vmlab.storage.precache.AllPrecacher;
import org.vmlab.storage.precache.NonePrecacher;
import org.vmlab.storage.precache.RecencyPrecacher;
import org.vmlab.transport.LinkModel;
import org.vmlab.transport.WanLink;

/**
 * One evacuation over the emulated WAN: the VM's disk is written by {@link DiskWriter} while a
 * pre-caching strategy copies it to the backup site (none: nothing), then the disaster: the
 * writes stop, pre-caching stops, and the backup site pulls what it lacks (copy-on-read device,
 * background fill, 4 pipelined streams). The evacuation time is until it no longer needs the source.
 */
final class EvacuationScenario {
    record Result(String strategy, double precacheSeconds, long precacheBytes, long writes, long blocksLeft,
                  double evacuationSeconds, long bytesFetched, boolean identical) {
    }

    private final Path dir;
    private final Path pristine;
    private final LinkModel model;
    private final long writesPerSecond;
    private final double steadySeconds;

    EvacuationScenario(Path dir, Path pristine, LinkModel model, long writesPerSecond, double steadySeconds) {
        this.dir = dir;
        this.pristine = pristine;
        this.model = model;
        this.writesPerSecond = writesPerSecond;
        this.steadySeconds = steadySeconds;
    }

    static StoragePrecacher strategy(String name) {
        return switch (name) {
            case "none" -> new NonePrecacher();
            case "all" -> new AllPrecacher();
            case "recency" -> new RecencyPrecacher();
            default -> throw new IllegalArgumentException("strategy " + name);
        };
    }

    Result run(String name) throws Exception {
        Path src = dir.resolve("evac-src.img");
        Path dst = dir.resolve("evac-dst.img");
        Path dstBits = dir.resolve("evac-dst.bitmap");
        Path srcBits = dir.resolve("evac-src.bitmap");
        Files.copy(pristine, src, StandardCopyOption.REPLACE_EXISTING);
        for (Path p : List.of(dst, dstBits, srcBits)) {
            Files.deleteIfExists(p);
        }
        long size = Files.size(pristine);
        double precacheSeconds = 0;
        long precacheBytes = 0;
        long writes;
        try (FileBlockDevice source = FileBlockDevice.open(src, 0, false);
             NbdServer srcServer = NbdServer.start("127.0.0.1", 0, 16, 10_000)) {
            srcServer.addExport(new DeviceExport("vm", "", source, null));
            try (FileBlockDevice backup = FileBlockDevice.open(dst, size, false);
                 BlockBitmap bits = BlockBitmap.open(dstBits, backup.blockCount());
                 NbdServer backupServer = NbdServer.start("127.0.0.1", 0, 16, 10_000);
                 WanLink toBackup = WanLink.start(model, new InetSocketAddress("127.0.0.1", backupServer.port()))) {
                backupServer.addExport(new DeviceExport("backup", "", backup, bits, true));
                Map<String, String> params = new HashMap<>(Map.of("export", "backup", "bitmap", srcBits.toString()));
                if (name.equals("recency")) {
                    params.put("quiet", "2s");
                }
                long t0 = System.nanoTime();
                DiskWriter writer = new DiskWriter(source, 0.05, 0.9, writesPerSecond);
                PrecacheSession s = strategy(name).start(source, new Endpoint("127.0.0.1", toBackup.port()),
                        new PrecacheOptions(DataRate.UNLIMITED, Duration.ofMillis(200), params));
                // Until the first full copy is there but for the hot 5% (none: at once), then a steady phase.
                double full = size / model.rate().bytesPerSecond();
                long deadline = t0 + (long) ((2 * full + 30) * 1e9);
                while (!name.equals("none") && s.stats().cachedFraction() < 0.94 && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                }
                Thread.sleep((long) (steadySeconds * 1000));
                writer.close(); // the disaster: the VM stops writing here (it moves)
                writes = writer.written();
                s.close();      // tells the backup site which of its blocks went stale
                precacheSeconds = (System.nanoTime() - t0) / 1e9;
                precacheBytes = s.stats().bytesSent();
                bits.force();
                backup.flush();
            }
            return evacuate(name, src, dst, dstBits, srcServer.port(), precacheSeconds, precacheBytes, writes);
        }
    }

    private Result evacuate(String name, Path src, Path dst, Path dstBits, int srcPort, double precacheSeconds,
                            long precacheBytes, long writes) throws Exception {
        EvacuationReport r;
        long left;
        try (WanLink toSource = WanLink.start(model, new InetSocketAddress("127.0.0.1", srcPort));
             FileBlockDevice local = FileBlockDevice.open(dst, 0, false);
             BlockBitmap bits = BlockBitmap.open(dstBits, local.blockCount())) {
            left = bits.size() - bits.cardinality();
            long t0 = System.nanoTime();
            List<NbdClient> streams = NbdClient.connectAll("127.0.0.1", toSource.port(), "vm", 4, 64, 30_000);
            CopyOnReadDevice dev = new CopyOnReadDevice(local, bits, streams, 16);
            EvacuationPlan plan = new EvacuationPlan(new Endpoint("127.0.0.1", toSource.port()), "vm", dst, dstBits,
                    "vm", 16, 4, false, null);
            r = new Evacuation(plan, dev, streams).run(line -> { });
            double secs = (System.nanoTime() - t0) / 1e9; // connecting included, as an evacuation must
            if (!r.completed()) {
                throw new IllegalStateException(name + ": evacuation " + r.status());
            }
            return new Result(name, precacheSeconds, precacheBytes, writes, left, secs, r.bytesReceived(),
                    identical(src, dst));
        }
    }

    /** Bit for bit, read locally (both images are on this machine). */
    static boolean identical(Path a, Path b) throws IOException {
        if (Files.size(a) != Files.size(b)) {
            return false;
        }
        try (InputStream x = Files.newInputStream(a); InputStream y = Files.newInputStream(b)) {
            byte[] p = new byte[1 << 20];
            byte[] q = new byte[1 << 20];
            while (true) {
                int n = x.readNBytes(p, 0, p.length);
                int m = y.readNBytes(q, 0, q.length);
                if (n != m || !Arrays.equals(p, 0, n, q, 0, m)) {
                    return false;
                }
                if (n == 0) {
                    return true;
                }
            }
        }
    }
}
