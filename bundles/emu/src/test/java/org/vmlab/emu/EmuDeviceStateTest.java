package org.vmlab.emu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.PageCacheMap;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;

class EmuDeviceStateTest {
    @TempDir
    Path dir;
    EmuBackend backend;
    Path image;

    @BeforeEach
    void setUp() throws Exception {
        backend = new EmuBackend(EmuSettings.forTests(dir));
        backend.registerWorkload("weblike", new WebLikeWorkload());
        backend.registerWorkload("counter", new CounterWorkload());
        image = dir.resolve("disk.img");
        byte[] disk = new byte[256 * 4096];
        new Random(5).nextBytes(disk);
        Files.write(image, disk);
    }

    @AfterEach
    void tearDown() {
        backend.close();
    }

    static void await(BooleanSupplier cond, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(2);
        }
    }

    private VmSpec webSpec() {
        return new VmSpec("web", "emu", 8L << 20, 1, image, 0, "weblike", Map.of("files", "48"),
                List.of());
    }

    /** A source with a warm cache, paused and migrating; and its prepared destination. */
    private EmuVm[] sourceAndDestination() throws Exception {
        EmuVm src = (EmuVm) backend.create(webSpec());
        await(() -> WebLikeWorkload.requests(src) > 200 && src.emuGuestOs().cachedPages() == 48,
                "a warm page cache");
        src.beginMigration();
        src.pause();
        EmuVm dst = (EmuVm) backend.prepareIncoming(webSpec());
        ByteBuffer page = ByteBuffer.allocateDirect(Pages.SIZE);
        for (long p = 0; p < src.memory().pageCount(); p++) {
            page.clear();
            src.memory().readPage(p, page);
            page.flip();
            dst.memory().writePage(p, page);
        }
        return new EmuVm[] {src, dst};
    }

    @Test
    void deviceStateRoundTripContinuesTheWorkload() throws Exception {
        EmuVm[] vms = sourceAndDestination();
        EmuVm src = vms[0];
        EmuVm dst = vms[1];
        byte[] state = src.saveDeviceState();
        assertArrayEquals(state, src.saveDeviceState(), "encoding is deterministic");
        dst.loadDeviceState(state);
        PageCacheMap cache = src.emuGuestOs().cleanPageCache();
        assertEquals(48, cache.size());
        assertEquals(cache, dst.emuGuestOs().cleanPageCache());
        assertEquals(src.emuGuestOs().reservations(), dst.emuGuestOs().reservations());
        assertEquals(src.emuGuestOs().freePages(), dst.emuGuestOs().freePages());
        assertArrayEquals(state, dst.saveDeviceState(), "the destination holds the same state");

        long before = WebLikeWorkload.requests(dst);
        dst.resume();
        assertEquals(VmState.MIGRATING, dst.state());
        dst.endMigration();
        assertEquals(VmState.RUNNING, dst.state());
        assertEquals("weblike", dst.workload().orElseThrow().workload());
        assertEquals(Map.of("files", "48"), dst.workload().orElseThrow().parameters());
        await(() -> WebLikeWorkload.requests(dst) > before + 500, "the workload to continue");
        // All hits: the cache came along, so no block is loaded twice.
        assertEquals(48, dst.emuGuestOs().cachedPages());
    }

    @Test
    void badDeviceStateIsRejectedAndLeavesTheVmUnharmed() throws Exception {
        EmuVm[] vms = sourceAndDestination();
        EmuVm src = vms[0];
        EmuVm dst = vms[1];
        byte[] good = src.saveDeviceState();

        byte[] flipped = good.clone();
        flipped[flipped.length / 2] ^= 0x10;
        assertMessage(dst, flipped, "checksum mismatch");
        assertMessage(dst, Arrays.copyOf(good, good.length - 3), "truncated");
        assertMessage(dst, Arrays.copyOf(good, 10), "truncated");
        assertMessage(dst, Arrays.copyOf(good, good.length + 1), "extra bytes");
        byte[] foreign = new byte[200];
        new Random(1).nextBytes(foreign);
        assertMessage(dst, foreign, "not emu device state");
        byte[] version = good.clone();
        version[11] = 9;
        assertMessage(dst, version, "version 9");
        assertMessage(dst, null, "null");
        // Well-formed and checksummed, but naming a frame the guest does not have: checked
        // while installing; the partly installed state must be rolled back.
        EmuGuestOs.State s = src.emuGuestOs().exportState();
        int[] frames = s.frames().clone();
        frames[frames.length - 1] = Integer.MAX_VALUE;
        byte[] misfit = EmuDeviceState.encode(src.memory().pageCount(), "weblike", Map.of("files", "48"),
                new EmuGuestOs.State(frames, s.blocks(), s.dirty(), s.reservedFirst(),
                        s.reservedCount(), s.clockHand()), src.emuGuestOs().diskBlocks());
        assertMessage(dst, misfit, "outside the guest");
        assertEquals(0, dst.emuGuestOs().cachedPages());
        assertEquals(dst.memory().pageCount(), dst.emuGuestOs().freePages());

        // Another VM's state: different memory size.
        EmuVm small = (EmuVm) backend.create(new VmSpec("small", "emu", 4L << 20, 1, null, 0,
                null, Map.of(), List.of()));
        assertMessage(dst, small.saveDeviceState(), "pages of memory");
        // Not an incoming VM.
        VmlabException e = assertThrows(VmlabException.class, () -> small.loadDeviceState(good));
        assertTrue(e.getMessage().contains("not prepared as an incoming VM"), e.getMessage());

        assertEquals(VmState.MIGRATING, dst.state());
        dst.loadDeviceState(good); // still takes the good state
        assertEquals(src.emuGuestOs().cleanPageCache(), dst.emuGuestOs().cleanPageCache());
        assertMessage(dst, good, "has its device state already");
        dst.resume();
        long before = WebLikeWorkload.requests(dst);
        await(() -> WebLikeWorkload.requests(dst) > before + 100, "the workload to continue");
    }

    private static void assertMessage(EmuVm vm, byte[] state, String part) {
        VmlabException e = assertThrows(VmlabException.class, () -> vm.loadDeviceState(state));
        assertTrue(e.getMessage().contains(part), e.getMessage());
        assertTrue(e.getMessage().startsWith("cannot load device state into VM '" + vm.id() + "'"),
                e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line");
    }

    @Test
    void snapshotStillRoundTripsWithTheSharedEncoder() throws Exception {
        Vm src = backend.create(webSpec());
        await(() -> WebLikeWorkload.requests(src) > 100, "requests");
        src.snapshot(dir.resolve("web.snap"));
        PageCacheMap cache = ((EmuVm) src).emuGuestOs().cleanPageCache();
        src.destroy();
        EmuVm back = (EmuVm) backend.restore(dir.resolve("web.snap"));
        assertEquals(cache, back.emuGuestOs().cleanPageCache());
        back.resume();
        long n = WebLikeWorkload.requests(back);
        await(() -> WebLikeWorkload.requests(back) > n + 100, "the restored workload");
    }
}
