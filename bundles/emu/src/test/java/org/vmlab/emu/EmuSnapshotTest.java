package org.vmlab.emu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.FrameRange;
import org.vmlab.api.guest.PageCacheMap;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;

class EmuSnapshotTest {
    @TempDir
    Path dir;
    EmuBackend backend;
    Path image;

    @BeforeEach
    void setUp() throws Exception {
        backend = new EmuBackend(EmuSettings.forTests(dir));
        backend.registerWorkload("counter", new CounterWorkload());
        image = dir.resolve("disk.img");
        byte[] disk = new byte[512 * 4096];
        new Random(3).nextBytes(disk);
        Files.write(image, disk);
    }

    @AfterEach
    void tearDown() {
        backend.close();
    }

    static long[] digest(GuestMemory m) {
        long[] h = new long[(int) m.pageCount()];
        for (int p = 0; p < h.length; p++) {
            h[p] = m.pageHash(p);
        }
        return h;
    }

    private long memoryFiles() throws Exception {
        Path m = backend.settings().memoryDir();
        if (!Files.exists(m)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(m)) {
            return s.count();
        }
    }

    private EmuVm busyVm() throws Exception {
        VmSpec spec = VmSpec.of("snap", "emu", 16L << 20).withVcpus(2).withDisk(image, 0)
                .withWorkload("counter", Map.of("limit", "-1"))
                .withDevices(java.util.List.of(DeviceSpec.of("nic0", "nic")));
        EmuVm vm = (EmuVm) backend.create(spec);
        EmuVcpusTest.await(() -> vm.memory().getLong(CounterWorkload.COUNTER) > 1000, "counting");
        FrameRange anon = vm.emuGuestOs().reserve(100);
        vm.memory().putLong(anon.first() * 4096 + 4096 * 50, 0x1234);
        ByteBuffer b = ByteBuffer.allocate(4096);
        for (int i = 0; i < 300; i++) {
            b.clear();
            vm.emuGuestOs().read(i, b);
        }
        b.clear();
        b.putLong(0, 99);
        vm.emuGuestOs().write(7, b);
        return vm;
    }

    @Test
    void roundTrip() throws Exception {
        EmuVm vm = busyVm();
        Path file = dir.resolve("snaps/one.snap");
        vm.snapshot(file);
        assertEquals(VmState.RUNNING, vm.state(), "a running VM runs on after its snapshot");
        vm.pause();
        long[] digest = digest(vm.memory());
        PageCacheMap cache = vm.emuGuestOs().cleanPageCache();
        long dirty = vm.emuGuestOs().dirtyCachedPages();
        var reservations = vm.emuGuestOs().reservations();
        long counter = vm.memory().getLong(CounterWorkload.COUNTER);
        vm.snapshot(file); // a paused VM: the same state as digested
        assertEquals(VmState.PAUSED, vm.state());
        assertTrue(Files.size(file) < 3 << 20, "sparse memory stays small: " + Files.size(file));
        vm.destroy();

        EmuVm back = (EmuVm) backend.restore(file);
        assertEquals(VmState.CREATED, back.state());
        assertEquals(vm.spec().withDisk(image.toAbsolutePath().normalize(), 0), back.spec());
        assertArrayEquals(digest, digest(back.memory()));
        assertEquals(cache, back.emuGuestOs().cleanPageCache());
        assertEquals(dirty, back.emuGuestOs().dirtyCachedPages());
        assertEquals(reservations, back.emuGuestOs().reservations());
        assertEquals(counter, back.memory().getLong(CounterWorkload.COUNTER));
        Thread.sleep(50);
        assertEquals(counter, back.memory().getLong(CounterWorkload.COUNTER), "not running before resume");
        back.resume();
        assertEquals(VmState.RUNNING, back.state());
        assertEquals("counter", back.workload().orElseThrow().workload());
        EmuVcpusTest.await(() -> back.memory().getLong(CounterWorkload.COUNTER) > counter + 100,
                "the workload continues where the snapshot was taken");
    }

    @Test
    void restoreWhileTheOriginalRunsGetsAnotherId() throws Exception {
        EmuVm vm = busyVm();
        vm.snapshot(Path.of("relative.snap"));
        assertTrue(Files.exists(backend.settings().stateDir().resolve("relative.snap")));
        Vm copy = backend.restore(Path.of("relative.snap"));
        assertEquals("snap-restored", copy.id());
        assertEquals(2, backend.vms().size());
    }

    @Test
    void corruptedOrTruncatedSnapshotsAreRejectedCleanly() throws Exception {
        EmuVm vm = busyVm();
        Path file = dir.resolve("good.snap");
        vm.snapshot(file);
        vm.destroy();
        byte[] good = Files.readAllBytes(file);

        byte[] flipped = good.clone();
        flipped[good.length / 2] ^= 0x40;
        assertRejected(flipped, "corrupted");

        byte[] header = good.clone();
        header[30] ^= 0x01;
        assertRejected(header, "header is corrupted");

        assertRejected(java.util.Arrays.copyOf(good, good.length - 100), "truncated");
        assertRejected(java.util.Arrays.copyOf(good, 10), "truncated");
        assertRejected("hello, world, not a snapshot".getBytes(), "not an emu snapshot");

        VmlabException e = assertThrows(VmlabException.class, () -> backend.restore(dir.resolve("none.snap")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());

        // the good one still restores
        Path ok = dir.resolve("ok.snap");
        Files.write(ok, good);
        backend.restore(ok).destroy();
    }

    private void assertRejected(byte[] content, String why) throws Exception {
        Path bad = dir.resolve("bad.snap");
        Files.write(bad, content);
        long threads = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("vmlab-emu-") && t.isAlive()).count();
        VmlabException e = assertThrows(VmlabException.class, () -> backend.restore(bad));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(why), e.getMessage());
        assertTrue(backend.vms().isEmpty());
        assertEquals(0, memoryFiles());
        assertEquals(threads, Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("vmlab-emu-") && t.isAlive()).count());
    }
}
