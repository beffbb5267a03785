package org.vmlab.bench.storage;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.vmlab.qemu.QmpClient;
import org.vmlab.transport.LinkModel;
import org.vmlab.transport.WanLink;

/**
 * QEMU's own storage migration as the baseline: a QEMU process (no guest, -machine none) holding
 * the source disk runs blockdev-mirror (sync=full) to qemu-nbd's export of the destination image,
 * through the same emulated WAN; the time until BLOCK_JOB_READY is the time to move the disk.
 */
final class QemuMirror {
    private QemuMirror() {
    }

    /** Seconds until the mirror is ready, or -1 when QEMU is not installed. */
    static double run(Path dir, Path source, Path target, LinkModel model) throws Exception {
        if (!Procs.has("qemu-system-x86_64") || !Procs.has("qemu-nbd")) {
            return -1;
        }
        int port = Procs.freePort();
        Process nbd = Procs.start(List.of("qemu-nbd", "-f", "raw", "-x", "dst", "-b", "127.0.0.1", "-p",
                Integer.toString(port), "-t", target.toString()), dir.resolve("mirror-nbd.log"));
        Path qmp = dir.resolve("mirror.qmp");
        Process qemu = null;
        try (WanLink wan = WanLink.start(model, new InetSocketAddress("127.0.0.1", port))) {
            Procs.awaitPort(port);
            qemu = Procs.start(List.of("qemu-system-x86_64", "-machine", "none", "-nodefaults", "-display", "none",
                    "-qmp", "unix:" + qmp + ",server=on,wait=off",
                    "-blockdev", "driver=file,filename=" + source + ",node-name=srcfile",
                    "-blockdev", "driver=raw,file=srcfile,node-name=src"), dir.resolve("mirror-qemu.log"));
            try (QmpClient q = QmpClient.connect("mirror", qmp, Duration.ofSeconds(20))) {
                CompletableFuture<Void> ready = new CompletableFuture<>();
                q.addEventListener(e -> {
                    if (e.name().equals("BLOCK_JOB_READY")) {
                        ready.complete(null);
                    } else if (e.name().equals("BLOCK_JOB_COMPLETED") || e.name().equals("BLOCK_JOB_ERROR")) {
                        ready.completeExceptionally(new IllegalStateException("mirror: " + e));
                    }
                });
                q.execute("blockdev-add", Map.of("driver", "nbd", "node-name", "tgt", "export", "dst",
                        "server", Map.of("type", "inet", "host", "127.0.0.1", "port", Integer.toString(wan.port()))),
                        Duration.ofSeconds(30));
                long t0 = System.nanoTime();
                q.execute("blockdev-mirror", Map.of("job-id", "m", "device", "src", "target", "tgt", "sync", "full"),
                        Duration.ofSeconds(30));
                ready.get(1800, TimeUnit.SECONDS);
                double s = (System.nanoTime() - t0) / 1e9;
                q.execute("block-job-cancel", Map.of("device", "m"), Duration.ofSeconds(30));
                return s;
            }
        } finally {
            Procs.stop(qemu);
            Procs.stop(nbd);
        }
    }
}
