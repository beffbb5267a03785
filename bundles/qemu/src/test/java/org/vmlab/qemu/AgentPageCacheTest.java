package org.vmlab.qemu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.guest.PageCacheMap;
import org.vmlab.api.guest.PageCacheReporter;
import org.vmlab.api.vm.VmSpec;

/**
 * The guest-agent page-cache map on a real TCG guest: vmlab-agent's (frame, block) pairs, read
 * back through the shared RAM file and the disk image, hold the same bytes, page for page.
 */
class AgentPageCacheTest {
    private static final long MEM = 256L << 20;
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    @BeforeAll
    static void qemu() {
        QemuTestSupport.assumeQemu();
    }

    @Test
    void framesTheAgentReportsHoldTheBlocksItNames() throws Exception {
        Optional<Path> image = QemuTestSupport.guestImage();
        assumeTrue(image.isPresent(), "no guest image (guest/build.sh, or -Dvmlab.guest.image): skipped");
        QemuSettings d = QemuSettings.defaults(dir, image.get());
        assumeTrue(d.disk() != null, "the guest image has no disk.img");
        // vmlab.warm=1: the guest reads its whole data disk once, filling its page cache
        QemuSettings s = new QemuSettings(d.qemuBinary(), dir.resolve("run"), d.kernel(), d.initrd(), d.disk(), "tcg",
                "vmlab.warm=1", d.readyMarker(), d.bootTimeout(), d.kvmProbeTimeout(), d.maxGuestMemoryBytes());
        QemuBackend b = new QemuBackend(s);
        b.start();
        try {
            QemuVm vm = (QemuVm) b.create(VmSpec.of("pc", "qemu", MEM));
            assertTrue(QemuTestSupport.waitFor(vm.process().consoleLog(), "vmlab-warm: pass=1", Duration.ofSeconds(40)),
                    "the warmer finished: " + vm.process().lastLines(5));
            PageCacheReporter agent = vm.pageCacheReporter().orElseThrow();
            assertEquals(Optional.empty(), agent.unavailableReason());

            long t0 = System.nanoTime();
            PageCacheMap map = agent.cleanPageCache();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("guest-agent map on TCG: " + map.size() + " pages (" + map.size() * (long) PAGE / (1 << 20)
                    + " MiB of cache) in " + ms + " ms");
            // the image's disk holds ~38 MB in files; most of it is cached after one warm pass
            assertTrue(map.size() > 4000, "pages reported: " + map.size());

            vm.pause();
            long[] pfns = map.pfns();
            long[] blocks = map.blocks();
            int wrongNeighbour = 0;
            try (RandomAccessFile ram = new RandomAccessFile(vm.process().ramFile().toFile(), "r");
                 RandomAccessFile disk = new RandomAccessFile(vm.process().runDir().resolve("disk.img").toFile(), "r")) {
                byte[] frame = new byte[PAGE];
                byte[] block = new byte[PAGE];
                for (int i = 0; i < pfns.length; i++) {
                    ram.seek(pfns[i] * PAGE);
                    ram.readFully(frame);
                    disk.seek(blocks[i] * PAGE);
                    disk.readFully(block);
                    assertArrayEquals(block, frame, "frame " + pfns[i] + " holds block " + blocks[i]);
                    // the comparison can fail: the next block on disk is other data
                    if (blocks[i] + 1 < disk.length() / PAGE) {
                        disk.readFully(block);
                        wrongNeighbour += Arrays.equals(block, frame) ? 0 : 1;
                    }
                }
            }
            assertTrue(wrongNeighbour > pfns.length * 9L / 10, "neighbouring blocks differ: " + wrongNeighbour);
            vm.destroy();
            assertEquals(List.of(), QemuTestSupport.qemuPids(s.runRoot()));
        } finally {
            b.close();
        }
    }

    @Test
    void guestPhysicalFramesBecomeRamFileFrames() {
        AgentPageCache small = new AgentPageCache(new GuestAgentChannel(dir.resolve("none.sock")), 512L << 20, true);
        assertEquals(5, small.ramFrame(5));
        assertEquals(-1, small.ramFrame((512L << 20) / PAGE));
        long big = 6L << 30;
        AgentPageCache large = new AgentPageCache(new GuestAgentChannel(dir.resolve("none.sock")), big, true);
        assertEquals(((2L << 30) / PAGE) - 1, large.ramFrame(((2L << 30) / PAGE) - 1));
        assertEquals(-1, large.ramFrame((3L << 30) / PAGE), "the PCI hole is not RAM");
        assertEquals((2L << 30) / PAGE, large.ramFrame((4L << 30) / PAGE));
        assertEquals(-1, large.ramFrame((8L << 30) / PAGE));
        Optional<String> why = small.unavailableReason();
        assertFalse(why.isEmpty(), "no agent socket: the reporter says so");
        assertTrue(why.get().contains("does not answer"), why.get());
    }
}
