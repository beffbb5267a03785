package org.vmlab.emu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.memory.DirtyLog;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.memory.Pages;

class EmuGuestMemoryTest {
    @TempDir
    Path dir;
    EmuGuestMemory mem;

    @BeforeEach
    void setUp() throws Exception {
        mem = EmuGuestMemory.create(dir, "t", 16L << 20);
    }

    @AfterEach
    void tearDown() {
        mem.close();
    }

    private static ByteBuffer pattern(int pages, long seed) {
        byte[] b = new byte[pages * Pages.SIZE];
        new Random(seed).nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    @Test
    void geometryAndNoFileLeftBehind() throws Exception {
        assertEquals(16L << 20, mem.sizeBytes());
        assertEquals(4096, mem.pageCount());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count(), "the memory file is unlinked once mapped");
        }
    }

    @Test
    void wordsAreCheckedAndLittleEndian() {
        mem.putLong(8, 0x0102030405060708L);
        assertEquals(0x0102030405060708L, mem.getLong(8));
        ByteBuffer page = ByteBuffer.allocate(Pages.SIZE);
        mem.readPage(0, page);
        assertEquals(0x08, page.get(8));
        assertThrows(IllegalArgumentException.class, () -> mem.putLong(4, 1));
        assertThrows(IllegalArgumentException.class, () -> mem.getLong(12));
        assertThrows(IndexOutOfBoundsException.class, () -> mem.getLong(16L << 20));
        assertThrows(IndexOutOfBoundsException.class, () -> mem.putLong(-8, 1));
    }

    @Test
    void pagesRoundTripAndAdvanceBuffers() {
        ByteBuffer src = pattern(1, 1);
        mem.writePage(7, src);
        assertEquals(Pages.SIZE, src.position());
        ByteBuffer dst = ByteBuffer.allocate(Pages.SIZE + 10);
        dst.position(10);
        mem.readPage(7, dst);
        assertEquals(Pages.SIZE + 10, dst.position());
        assertArrayEquals(src.array(), java.util.Arrays.copyOfRange(dst.array(), 10, 10 + Pages.SIZE));
        assertThrows(BufferOverflowException.class, () -> mem.readPage(0, ByteBuffer.allocate(100)));
        assertThrows(BufferUnderflowException.class, () -> mem.writePage(0, ByteBuffer.allocate(100)));
        assertThrows(IndexOutOfBoundsException.class, () -> mem.readPage(4096, ByteBuffer.allocate(4096)));
        assertThrows(IndexOutOfBoundsException.class, () -> mem.readPage(-1, ByteBuffer.allocate(4096)));
    }

    @Test
    void bulkReadWrite() {
        ByteBuffer src = pattern(33, 2);
        mem.write(100, 33, src);
        assertFalse(src.hasRemaining());
        ByteBuffer direct = ByteBuffer.allocateDirect(33 * Pages.SIZE);
        mem.read(100, 33, direct);
        assertFalse(direct.hasRemaining());
        direct.flip();
        byte[] back = new byte[33 * Pages.SIZE];
        direct.get(back);
        assertArrayEquals(src.array(), back);
        ByteBuffer one = ByteBuffer.allocate(Pages.SIZE);
        mem.readPage(132, one);
        assertArrayEquals(java.util.Arrays.copyOfRange(src.array(), 32 * Pages.SIZE, 33 * Pages.SIZE),
                one.array());
        assertThrows(IndexOutOfBoundsException.class, () -> mem.read(4090, 7, ByteBuffer.allocate(7 * 4096)));
        assertThrows(BufferOverflowException.class, () -> mem.read(0, 2, ByteBuffer.allocate(4096)));
    }

    @Test
    void zeroAndHash() {
        long zeroHash = PageHashTest.ZERO_PAGE;
        assertTrue(mem.isZero(5));
        assertEquals(zeroHash, mem.pageHash(5));
        mem.putLong(5 * 4096 + 4088, 1);
        assertFalse(mem.isZero(5));
        assertTrue(mem.isZero(4));
        assertTrue(mem.isZero(6));
        ByteBuffer src = pattern(1, 3);
        mem.writePage(9, src);
        assertEquals(PageHashTest.xxh64(src.array()), mem.pageHash(9));
        assertNotEquals(zeroHash, mem.pageHash(9));
    }

    @Test
    void dirtyLogIsPrecise() {
        DirtyLog log = mem.dirtyLog();
        assertTrue(log.isPrecise());
        assertFalse(log.isLogging());
        assertThrows(IllegalStateException.class, log::sync);
        mem.putLong(0, 1); // before start: not reported
        log.start();
        assertThrows(IllegalStateException.class, log::start);
        mem.putLong(3 * 4096 + 16, 5);
        mem.writePage(10, pattern(1, 4));
        mem.write(62, 5, pattern(5, 5)); // spans a bitmap word boundary
        mem.getLong(4096 * 20);
        mem.readPage(21, ByteBuffer.allocate(4096));
        PageSet s = log.sync();
        assertEquals(PageSet.of(4096, 3, 10, 62, 63, 64, 65, 66), s);
        assertTrue(log.sync().isEmpty());
        mem.putLong(4096 * 4095, 1);
        assertEquals(PageSet.of(4096, 4095), log.sync());
        log.stop();
        assertFalse(log.isLogging());
        mem.putLong(0, 2);
        log.start();
        assertTrue(log.sync().isEmpty(), "start begins with an empty set");
        log.stop();
    }

    @Test
    void dirtyLogLosesNoWriteUnderConcurrency() throws Exception {
        DirtyLog log = mem.dirtyLog();
        log.start();
        int writers = 4;
        long pages = mem.pageCount();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[][] written = new long[writers][];
        CountDownLatch started = new CountDownLatch(writers);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < writers; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                try {
                    Random r = new Random(id);
                    long[] mine = new long[(int) ((pages + 63) / 64)];
                    started.countDown();
                    int n = 0;
                    // only pages with pfn % 8 != 7 are ever written
                    while (!stop.get() || n < 2000) {
                        long pfn = r.nextInt((int) pages);
                        if (pfn % 8 == 7) {
                            continue;
                        }
                        if ((n & 1) == 0) {
                            mem.putLong(pfn * 4096 + 8 * r.nextInt(512), n);
                        } else {
                            ByteBuffer b = ByteBuffer.allocate(4096);
                            b.putLong(0, n);
                            mem.writePage(pfn, b);
                        }
                        mine[(int) (pfn >>> 6)] |= 1L << pfn;
                        n++;
                    }
                    written[id] = mine;
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            threads.add(th);
            th.start();
        }
        started.await();
        PageSet union = PageSet.empty(pages);
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < 300_000_000L) {
            union = union.union(log.sync());
        }
        stop.set(true);
        for (Thread th : threads) {
            th.join();
        }
        union = union.union(log.sync());
        log.stop();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        long[] expected = new long[(int) ((pages + 63) / 64)];
        for (long[] w : written) {
            for (int i = 0; i < w.length; i++) {
                expected[i] |= w[i];
            }
        }
        PageSet want = PageSet.ofBitmap(pages, expected);
        assertEquals(want, union, "every written page reported, no other page");
        union.forEach(p -> assertNotEquals(7, p % 8));
    }

    @Test
    void bulkAccessCrossesMappingChunks() throws Exception {
        long size = EmuGuestMemory.CHUNK_SIZE + (64 << 10);
        EmuGuestMemory big = EmuGuestMemory.create(dir, "big", size);
        try {
            long first = EmuGuestMemory.CHUNK_SIZE / 4096 - 3;
            ByteBuffer src = pattern(6, 9);
            big.dirtyLog().start();
            big.write(first, 6, src);
            ByteBuffer back = ByteBuffer.allocate(6 * 4096);
            big.read(first, 6, back);
            assertArrayEquals(src.array(), back.array());
            big.putLong(EmuGuestMemory.CHUNK_SIZE, 77);
            assertEquals(77, big.getLong(EmuGuestMemory.CHUNK_SIZE));
            assertEquals(6, big.dirtyLog().sync().size());
            byte[] page4 = java.util.Arrays.copyOfRange(src.array(), 4 * 4096, 5 * 4096);
            assertEquals(PageHashTest.xxh64(page4), big.pageHash(first + 4));
        } finally {
            big.close();
        }
    }

    @Test
    void closedMemoryRefusesAccess() throws Exception {
        EmuGuestMemory m = EmuGuestMemory.create(dir, "closed", 1 << 20);
        m.putLong(0, 1);
        m.close();
        assertThrows(IllegalStateException.class, () -> m.getLong(0));
        assertThrows(IllegalStateException.class, () -> m.readPage(0, ByteBuffer.allocate(4096)));
    }
}
