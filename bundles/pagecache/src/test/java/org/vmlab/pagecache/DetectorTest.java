package org.vmlab.pagecache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.SplittableRandom;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.guest.PageCacheMap;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.pagecache.PageCacheDetector;
import org.vmlab.api.pagecache.PageCacheTracker;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.emu.EmuBackend;
import org.vmlab.emu.EmuSettings;

@Timeout(60)
class DetectorTest {
    static final long MIB = 1 << 20;
    @TempDir
    static Path dir;
    static EmuBackend backend;

    @BeforeAll
    static void setUp() {
        backend = new EmuBackend(EmuSettings.forTests(dir));
    }

    @AfterAll
    static void tearDown() {
        backend.close();
    }

    /** A VM whose disk holds random blocks; {@code cached} of them read through its page cache. */
    static Vm vmWithCache(String name, int dataBlocks, int cached, IoMonitorDetector watchFirst) {
        Vm vm = backend.create(VmSpec.of(name, "emu", 64 * MIB).withDisk(dir.resolve(name + ".img"), 32 * MIB));
        SplittableRandom rng = new SplittableRandom(7);
        ByteBuffer b = ByteBuffer.allocate(Pages.SIZE);
        for (int block = 0; block < dataBlocks; block++) {
            b.clear();
            while (b.hasRemaining()) {
                b.putLong(rng.nextLong());
            }
            b.flip();
            vm.disk().orElseThrow().write(block, b);
        }
        if (watchFirst != null) {
            watchFirst.watch(vm);
        }
        GuestOs os = vm.guestOs().orElseThrow();
        for (int block = 0; block < cached; block++) {
            b.clear();
            os.read(block, b);
        }
        return vm;
    }

    /** Every entry's frame holds exactly its block's bytes. */
    static void assertAllCorrect(Vm vm, PageCacheMap map) {
        ByteBuffer frame = ByteBuffer.allocate(Pages.SIZE);
        ByteBuffer block = ByteBuffer.allocate(Pages.SIZE);
        map.forEach((pfn, blk) -> {
            frame.clear();
            block.clear();
            vm.memory().readPage(pfn, frame);
            vm.disk().orElseThrow().read(blk, block);
            assertEquals(block.flip(), frame.flip(), "frame " + pfn + " vs block " + blk);
        });
    }

    @Test
    void theThreeDetectorsFindTheCleanCacheAndOnlyCorrectEntries() {
        IoMonitorDetector io = new IoMonitorDetector();
        Vm vm = vmWithCache("all3", 2048, 1500, io);
        GuestOs os = vm.guestOs().orElseThrow();
        // the guest dirties 100 cached pages: no detector may list them
        ByteBuffer junk = ByteBuffer.allocate(Pages.SIZE);
        for (int block = 0; block < 100; block++) {
            junk.clear();
            junk.putLong(0, block + 1);
            os.write(block, junk);
        }
        PageCacheMap truth = os.cleanPageCache();
        assertEquals(1400, truth.size());
        for (PageCacheDetector d : new PageCacheDetector[] {new GuestAgentDetector(), io, new IntrospectionDetector()}) {
            assertTrue(d.unsupportedReason(vm).isEmpty());
            try (PageCacheTracker t = d.track(vm)) {
                PageCacheMap m = t.restorable();
                assertAllCorrect(vm, m);
                for (long pfn : truth.pfns()) {
                    assertTrue(m.contains(pfn), d.getClass().getSimpleName() + " misses frame " + pfn);
                }
                long pfn0 = truth.pfns()[0];
                assertTrue(t.isRestorable(pfn0, truth.blockOf(pfn0).getAsLong()));
                assertFalse(t.isRestorable(pfn0, truth.blockOf(pfn0).getAsLong() + 1));
            }
        }
        vm.destroy();
    }

    @Test
    void ioMonitorAttachedLateKnowsOnlyWhatItSaw() {
        Vm vm = vmWithCache("late", 1024, 600, null);
        IoMonitorDetector io = new IoMonitorDetector();
        io.watch(vm);
        ByteBuffer b = ByteBuffer.allocate(Pages.SIZE);
        for (int block = 600; block < 800; block++) {
            b.clear();
            vm.guestOs().orElseThrow().read(block, b);
        }
        try (PageCacheTracker t = io.track(vm)) {
            PageCacheMap m = t.restorable();
            assertEquals(200, m.size());
            assertAllCorrect(vm, m);
        }
        vm.destroy();
    }

    @Test
    void detectorsRefuseAVmWithoutDisk() {
        Vm vm = backend.create(VmSpec.of("nodisk", "emu", 16 * MIB));
        assertTrue(new GuestAgentDetector().unsupportedReason(vm).orElseThrow().contains("no disk"));
        assertTrue(new IoMonitorDetector().unsupportedReason(vm).isPresent());
        assertTrue(new IntrospectionDetector().unsupportedReason(vm).isPresent());
        vm.destroy();
    }

    @Test
    void blockIndexFindsWhatWasPut() throws IOException {
        BlockIndex index = new BlockIndex(1000);
        for (long i = 1; i <= 1000; i++) {
            index.put(i * 0x9E3779B97F4A7C15L, i);
        }
        index.put(0, 5000);
        index.put(0, 6000); // same content: the first block stays
        index.put(17 * 0x9E3779B97F4A7C15L, 9999);
        assertEquals(1001, index.size());
        assertEquals(17, index.get(17 * 0x9E3779B97F4A7C15L));
        assertEquals(5000, index.get(0));
        assertEquals(-1, index.get(12345));
    }
}
