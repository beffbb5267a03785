package org.vmlab.bench.storage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.vmlab.storage.block.FileBlockDevice;
import org.vmlab.storage.nbd.DeviceExport;
import org.vmlab.storage.nbd.NbdServer;

/**
 * Sequential 1 MiB reads and writes through nbdcopy (one connection, 1 MiB requests), against
 * vmlab's NBD server and against qemu-nbd on the same file, alternating, median of the runs.
 */
final class NbdThroughput {
    private NbdThroughput() {
    }

    static void run(Path dir, long mib, int runs) throws Exception {
        if (!Procs.has("nbdcopy") || !Procs.has("qemu-nbd")) {
            System.out.println("nbd: skipped (needs nbdcopy from libnbd-bin and qemu-nbd from qemu-utils)");
            return;
        }
        Path img = dir.resolve("nbd-bench.img");
        Path src = dir.resolve("nbd-src.img");
        byte[] chunk = new byte[1 << 20];
        new java.util.Random(1).nextBytes(chunk);
        try (var out = Files.newOutputStream(src)) {
            for (long i = 0; i < mib; i++) {
                out.write(chunk);
            }
        }
        Files.copy(src, img, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        List<String> copy = List.of("nbdcopy", "--connections=1", "--request-size=1048576", "--requests=16");
        List<Double> vRead = new ArrayList<>();
        List<Double> vWrite = new ArrayList<>();
        List<Double> qRead = new ArrayList<>();
        List<Double> qWrite = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            try (FileBlockDevice dev = FileBlockDevice.open(img, 0, false);
                 NbdServer s = NbdServer.start("127.0.0.1", 0, 8, 10_000)) {
                s.addExport(new DeviceExport("d", "", dev, null));
                String uri = "nbd://127.0.0.1:" + s.port() + "/d";
                vRead.add(mib / Procs.timed(concat(copy, uri, "null:")));
                vWrite.add(mib / Procs.timed(concat(copy, src.toString(), uri)));
            }
            int port = Procs.freePort();
            Process q = Procs.start(List.of("qemu-nbd", "-f", "raw", "-x", "d", "-b", "127.0.0.1", "-p",
                    Integer.toString(port), "-t", "--cache=writeback", img.toString()), dir.resolve("qemu-nbd.log"));
            try {
                Procs.awaitPort(port);
                String uri = "nbd://127.0.0.1:" + port + "/d";
                qRead.add(mib / Procs.timed(concat(copy, uri, "null:")));
                qWrite.add(mib / Procs.timed(concat(copy, src.toString(), uri)));
            } finally {
                Procs.stop(q);
            }
        }
        double vr = median(vRead);
        double vw = median(vWrite);
        double qr = median(qRead);
        double qw = median(qWrite);
        System.out.printf("nbd: sequential 1 MiB reads,  %d MiB via nbdcopy: vmlab %.0f MiB/s, qemu-nbd %.0f MiB/s"
                + " (baseline) -> %.2fx (goal >= 0.8x)%n", mib, vr, qr, vr / qr);
        System.out.printf("nbd: sequential 1 MiB writes, %d MiB via nbdcopy: vmlab %.0f MiB/s, qemu-nbd %.0f MiB/s"
                + " (baseline) -> %.2fx (goal >= 0.8x)%n", mib, vw, qw, vw / qw);
        Files.deleteIfExists(img);
        Files.deleteIfExists(src);
    }

    private static List<String> concat(List<String> a, String... b) {
        List<String> l = new ArrayList<>(a);
        l.addAll(List.of(b));
        return l;
    }

    static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
