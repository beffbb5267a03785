package org.vmlab.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.api.workload.InvariantResult;
import org.vmlab.api.workload.WorkloadRun;
import org.vmlab.workloads.MemoryWorkload;

/**
 * vmlab's own guest image (guest/build.sh) with vmlab-memwork: throughput from the console, the
 * invariant over guest RAM, and a switchover to a second QEMU that continues the workload. Uses
 * {@code -Dvmlab.guest.image=<folder>} or the image the guest module built (it comes first in the
 * reactor); skipped only where neither exists.
 */
class GuestImageTest {

    @TempDir
    Path dir;

    @Test
    void memworkRunsIsCheckedAndMoves() throws Exception {
        QemuTestSupport.assumeQemu();
        Optional<Path> found = QemuTestSupport.guestImage();
        assumeTrue(found.isPresent(), "no guest image (guest/build.sh, or -Dvmlab.guest.image): skipped");
        Path image = found.get();
        QemuSettings s = QemuSettings.defaults(dir, image).withRunRoot(dir.resolve("run")).withAccelerator("tcg");
        assertTrue(Files.exists(s.kernel()), s.kernel().toString());
        QemuBackend b = new QemuBackend(s);
        b.bindMemoryWorkload(new MemoryWorkload());
        b.start();
        try {
            long t0 = System.nanoTime();
            QemuVm src = (QemuVm) b.create(VmSpec.of("mw", "qemu", 256L << 20).withWorkload("memory",
                    Map.of("working-set", "32M", "rate", "8M", "check", "1")));
            System.out.println("vmlab image boot to ready: " + (System.nanoTime() - t0) / 1_000_000 + " ms (tcg)");
            assertTrue(Files.exists(src.process().runDir().resolve("disk.img")), "private disk copy");
            WorkloadRun run = src.workload().orElseThrow();
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (run.samples().size() < 3 && System.nanoTime() < end) {
                Thread.sleep(200);
            }
            assertTrue(run.samples().size() >= 3, "rate lines: " + src.process().lastLines(5));
            System.out.println("guest write rate: " + run.latest().bytesPerSecond() / (1 << 20) + " MiB/s");

            src.pause();
            InvariantResult r = run.invariant().orElseThrow().check(src.memory());
            System.out.println("invariant at pause: " + r);
            assertTrue(r.holds(), r.detail());
            assertTrue(r.pagesChecked() >= 32 * 256, "pages found: " + r.pagesChecked());

            QemuVm dst = (QemuVm) b.prepareIncoming(src.spec());
            ByteBuffer buf = ByteBuffer.allocateDirect(256 * Pages.SIZE);
            long pages = src.memory().pageCount();
            for (long pfn = 0; pfn < pages; pfn += 256) {
                int n = (int) Math.min(256, pages - pfn); // the RAM may carry Accel.TCG_RAM_PAD
                buf.clear().limit(n * Pages.SIZE);
                src.memory().read(pfn, n, buf);
                buf.flip();
                dst.memory().write(pfn, n, buf);
            }
            dst.loadDeviceState(src.saveDeviceState());
            InvariantResult atDst = dst.workload().orElseThrow().invariant().orElseThrow().check(dst.memory());
            assertTrue(atDst.holds(), atDst.detail());
            src.destroy();
            dst.resume();
            dst.endMigration();
            assertEquals(VmState.RUNNING, dst.state());
            assertTrue(QemuTestSupport.waitFor(dst.process().consoleLog(), "vmlab-memwork: check ok",
                    Duration.ofSeconds(60)), "memwork self-check passes after the move: " + dst.process().lastLines(5));
            assertFalse(Files.readString(dst.process().consoleLog()).contains("FAILED"));
        } finally {
            b.close();
        }
    }
}
