package org.vmlab.emu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.FrameRange;
import org.vmlab.api.guest.IoEvent;
import org.vmlab.api.guest.PageCacheMap;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.vm.VmSpec;

class EmuGuestOsTest {
    static final int FRAMES = 64;
    static final int BLOCKS = 256;

    @TempDir
    Path dir;
    EmuBackend backend;
    EmuVm vm;
    EmuGuestOs os;
    Path image;
    byte[] disk;
    ConcurrentLinkedQueue<IoEvent> events = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void setUp() throws Exception {
        image = dir.resolve("disk.img");
        disk = new byte[BLOCKS * 4096];
        new Random(7).nextBytes(disk);
        Files.write(image, disk);
        backend = new EmuBackend(EmuSettings.forTests(dir));
        vm = (EmuVm) backend.create(VmSpec.of("g", "emu", FRAMES * 4096L).withDisk(image, 0));
        os = vm.emuGuestOs();
        os.addIoListener(events::add);
    }

    @AfterEach
    void tearDown() {
        backend.close();
    }

    private byte[] block(int b) {
        return java.util.Arrays.copyOfRange(disk, b * 4096, (b + 1) * 4096);
    }

    private byte[] read(int b) {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        os.read(b, buf);
        assertFalse(buf.hasRemaining());
        return buf.array();
    }

    private byte[] imageBlock(long b) throws Exception {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(4096);
            ch.read(buf, b * 4096);
            return buf.array();
        }
    }

    private byte[] frame(long pfn) {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        vm.memory().readPage(pfn, buf);
        return buf.array();
    }

    /** Every clean cached frame holds exactly its block as the image file has it. */
    private void assertCleanMapRestorable() throws Exception {
        PageCacheMap map = os.cleanPageCache();
        long[] pfns = map.pfns();
        long[] blocks = map.blocks();
        for (int i = 0; i < pfns.length; i++) {
            assertArrayEquals(imageBlock(blocks[i]), frame(pfns[i]), "frame " + pfns[i]);
        }
    }

    private long count(IoEvent.Kind kind) {
        return events.stream().filter(e -> e.kind() == kind).count();
    }

    @Test
    void missThenHit() throws Exception {
        assertEquals(BLOCKS, os.diskBlocks());
        assertEquals(BLOCKS, vm.disk().orElseThrow().blockCount());
        assertArrayEquals(block(5), read(5));
        assertEquals(1, os.cachedPages());
        assertEquals(FRAMES - 1, os.freePages());
        assertArrayEquals(block(5), read(5));
        assertEquals(List.of(IoEvent.Kind.READ_MISS, IoEvent.Kind.READ_HIT),
                events.stream().map(IoEvent::kind).toList());
        long pfn = os.frameOf(5);
        assertEquals(pfn, events.peek().pfn());
        assertEquals(FRAMES - 1, pfn, "the cache takes frames from the high end");
        assertEquals(5, os.cleanPageCache().blockOf(pfn).orElseThrow());
        assertCleanMapRestorable();
        assertThrows(IndexOutOfBoundsException.class, () -> os.read(BLOCKS, ByteBuffer.allocate(4096)));
    }

    @Test
    void loadsAreSeenByTheDirtyLog() {
        vm.memory().dirtyLog().start();
        read(9);
        PageSet dirty = vm.memory().dirtyLog().sync();
        assertEquals(PageSet.of(FRAMES, os.frameOf(9)), dirty);
        read(9); // a hit writes nothing
        assertTrue(vm.memory().dirtyLog().sync().isEmpty());
        vm.memory().dirtyLog().stop();
    }

    @Test
    void evictionKeepsTheCacheWithinMemory() throws Exception {
        for (int b = 0; b < BLOCKS; b++) {
            assertArrayEquals(block(b), read(b));
        }
        assertEquals(FRAMES, os.cachedPages());
        assertEquals(0, os.freePages());
        assertEquals(BLOCKS - FRAMES, count(IoEvent.Kind.EVICT));
        assertEquals(FRAMES, os.cleanPageCache().size());
        assertCleanMapRestorable();
        // second chance: a block read again just now survives the next miss
        int recent = BLOCKS - 1;
        read(recent);
        read(0);
        assertTrue(os.frameOf(recent) >= 0);
    }

    @Test
    void writesAreDirtyUntilWrittenBack() throws Exception {
        read(3);
        byte[] data = new byte[4096];
        new Random(11).nextBytes(data);
        os.write(3, ByteBuffer.wrap(data));
        os.write(200, ByteBuffer.wrap(data)); // a write miss
        assertEquals(2, os.dirtyCachedPages());
        assertFalse(os.cleanPageCache().contains(os.frameOf(3)));
        assertArrayEquals(data, read(3));
        assertArrayEquals(block(3), imageBlock(3), "not on disk before write-back");
        assertCleanMapRestorable();
        os.writeBack();
        assertEquals(0, os.dirtyCachedPages());
        assertArrayEquals(data, imageBlock(3));
        assertArrayEquals(data, imageBlock(200));
        assertEquals(2, count(IoEvent.Kind.WRITEBACK));
        assertEquals(2, count(IoEvent.Kind.WRITE));
        assertTrue(os.cleanPageCache().contains(os.frameOf(3)));
        assertCleanMapRestorable();
    }

    @Test
    void dirtyVictimsAreWrittenBackFirst() throws Exception {
        FrameRange anon = os.reserve(FRAMES - 4);
        byte[][] written = new byte[10][];
        for (int b = 0; b < 10; b++) {
            written[b] = new byte[4096];
            new Random(b).nextBytes(written[b]);
            os.write(b, ByteBuffer.wrap(written[b]));
        }
        assertEquals(4, os.cachedPages());
        for (int b = 0; b < 10; b++) {
            assertArrayEquals(written[b], read(b), "block " + b);
        }
        os.writeBack();
        for (int b = 0; b < 10; b++) {
            assertArrayEquals(written[b], imageBlock(b), "block " + b + " on disk");
        }
        for (long f = anon.first(); f < anon.end(); f++) {
            assertTrue(os.cleanPageCache().blockOf(f).isEmpty());
        }
    }

    @Test
    void reserveAndRelease() throws Exception {
        for (int b = 0; b < FRAMES; b++) {
            read(b);
        }
        byte[] data = new byte[4096];
        data[0] = 1;
        os.write(0, ByteBuffer.wrap(data)); // block 0 lives in the top frame... make one low frame dirty:
        long lowFrame = os.frameOf(FRAMES - 1);
        os.write(FRAMES - 1, ByteBuffer.wrap(data));
        assertTrue(lowFrame < 16);
        FrameRange r = os.reserve(16);
        assertEquals(new FrameRange(0, 16), r, "reservations come from the low end");
        assertEquals(FRAMES - 16, os.cachedPages());
        assertArrayEquals(data, imageBlock(FRAMES - 1), "a dirty page in the range was written back");
        assertEquals(0, os.freePages());
        assertEquals(List.of(r), os.reservations());
        FrameRange r2 = os.reserve(8);
        assertEquals(new FrameRange(16, 8), r2);
        assertThrows(IllegalArgumentException.class, () -> os.release(new FrameRange(0, 8)));
        os.release(r);
        assertEquals(16, os.freePages());
        assertEquals(List.of(r2), os.reservations());
        assertThrows(VmlabException.class, () -> os.reserve(FRAMES));
        assertThrows(IllegalArgumentException.class, () -> os.reserve(0));
        FrameRange r3 = os.reserve(16);
        assertEquals(new FrameRange(0, 16), r3, "released frames are reused");
        assertThrows(VmlabException.class, () -> os.reserve(FRAMES - 23), "only 40 frames are not reserved, not contiguous");
        assertCleanMapRestorable();
    }

    @Test
    void everyFrameReservedLeavesNoRoomForTheCache() {
        os.reserve(FRAMES);
        VmlabException e = assertThrows(VmlabException.class, () -> read(1));
        assertTrue(e.getMessage().contains("out of memory"), e.getMessage());
    }

    @Test
    void concurrentReadersAndWritersStayConsistent() throws Exception {
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int t = 0; t < 4; t++) {
            int id = t;
            threads.add(new Thread(() -> {
                try {
                    Random r = new Random(id);
                    ByteBuffer buf = ByteBuffer.allocate(4096);
                    for (int i = 0; i < 3000; i++) {
                        // each thread writes only its own blocks (b % 4 == id) and reads any
                        int b = r.nextInt(BLOCKS);
                        buf.clear();
                        if (b % 4 == id && r.nextInt(4) == 0) {
                            buf.putLong(0, b).putLong(8, i);
                            os.write(b, buf);
                        } else {
                            os.read(b, buf);
                        }
                        if (i % 500 == 0) {
                            os.writeBack();
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertTrue(os.cachedPages() <= FRAMES);
        assertEquals(FRAMES, os.cachedPages() + os.freePages());
        assertCleanMapRestorable();
        os.writeBack();
        assertEquals(os.cachedPages(), os.cleanPageCache().size());
        assertCleanMapRestorable();
        for (int b = 0; b < BLOCKS; b++) {
            byte[] content = read(b);
            ByteBuffer w = ByteBuffer.wrap(content);
            if (!java.util.Arrays.equals(content, block(b))) {
                assertEquals(b, w.getLong(0), "a written block holds its own number");
            }
        }
    }

    @Test
    void noDiskMeansNoBlockIo() {
        EmuVm plain = (EmuVm) backend.create(VmSpec.of("plain", "emu", 1 << 20));
        EmuGuestOs g = plain.emuGuestOs();
        assertEquals(0, g.diskBlocks());
        assertThrows(VmlabException.class, () -> g.read(0, ByteBuffer.allocate(4096)));
        assertEquals(new FrameRange(0, 10), g.reserve(10));
        assertTrue(g.cleanPageCache().isEmpty());
        g.writeBack();
    }
}
