package org.vmlab.backend.support.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import net.jpountz.xxhash.XXHashFactory;

import org.vmlab.api.memory.Pages;

class MappedPagesTest {
    @TempDir
    Path dir;

    private MappedPages map(long size) throws IOException {
        Path f = dir.resolve("ram-" + size);
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.setLength(size);
        }
        return MappedPages.map(f, "vm", size);
    }

    private MappedPages mapFresh(long size) throws IOException {
        Path f = dir.resolve("fresh-" + size);
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.setLength(size);
        }
        return MappedPages.mapFresh(f, "vm", size);
    }

    /** Pages 0..n with every third one non-zero (one byte set at a different place in each). */
    private static long[] scatter(MappedPages m) {
        long[] expected = new long[(int) ((m.pageCount() + 63) / 64)];
        for (long pfn = 0; pfn < m.pageCount(); pfn++) {
            if (pfn % 3 == 0) {
                ByteBuffer page = ByteBuffer.allocate(Pages.SIZE);
                page.put((int) (pfn * 37 % Pages.SIZE), (byte) 1);
                m.write(pfn, 1, page);
            } else {
                expected[(int) (pfn / 64)] |= 1L << pfn;
            }
        }
        // A page written with zeros is zero too, written or not.
        m.write(3, 1, ByteBuffer.allocate(Pages.SIZE));
        expected[0] |= 1L << 3;
        return expected;
    }

    @Test
    void zeroBitmapsTellWhatIsZeroOnEitherKindOfMapping() throws Exception {
        for (MappedPages m : new MappedPages[]{map(300 * Pages.SIZE), mapFresh(300 * Pages.SIZE)}) {
            long[] expected = scatter(m);
            assertArrayEquals(expected, m.zeroBitmap(0, 300));
            long[] tail = m.zeroBitmap(128, 300);
            assertEquals(expected[2], tail[0]);
            assertEquals(expected[4], tail[2]);
            for (long pfn = 0; pfn < 300; pfn++) {
                assertEquals((expected[(int) (pfn / 64)] & (1L << pfn)) != 0, m.isZero(pfn), "page " + pfn);
            }
            assertThrows(IndexOutOfBoundsException.class, () -> m.zeroBitmap(1, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> m.zeroBitmap(0, 301));
            m.close();
        }
    }

    @Test
    void aFreshMappingWritesFirstThroughTheFileAndReadsBackTheSame() throws Exception {
        MappedPages m = mapFresh(64 * Pages.SIZE);
        byte[] data = new byte[4 * Pages.SIZE];
        new Random(3).nextBytes(data);
        m.write(10, 4, ByteBuffer.wrap(data)); // first write: through the file
        ByteBuffer back = ByteBuffer.allocate(data.length);
        m.read(10, 4, back);
        assertArrayEquals(data, back.array(), "the mapping sees what the file write put there");
        m.putLong(11L * Pages.SIZE, 42); // later writes: through the mapping
        assertEquals(42, m.getLong(11L * Pages.SIZE));
        m.write(11, 1, ByteBuffer.wrap(data, 0, Pages.SIZE));
        assertEquals(ByteBuffer.wrap(data, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(), m.getLong(11L * Pages.SIZE));
        ByteBuffer src = ByteBuffer.wrap(new byte[Pages.SIZE - 1]);
        assertThrows(BufferUnderflowException.class, () -> m.write(20, 1, src));
        m.close();
        assertThrows(IllegalStateException.class, () -> m.write(30, 1, ByteBuffer.allocate(Pages.SIZE)));
    }

    @Test
    void pagesAndWordsGoWhereTheFileHasThem() throws Exception {
        MappedPages m = map(16 * Pages.SIZE);
        assertEquals(16, m.pageCount());
        byte[] data = new byte[3 * Pages.SIZE];
        new Random(1).nextBytes(data);
        ByteBuffer src = ByteBuffer.wrap(data);
        m.write(5, 3, src);
        assertEquals(data.length, src.position(), "the source advances");
        ByteBuffer dst = ByteBuffer.allocate(3 * Pages.SIZE);
        m.read(5, 3, dst);
        assertArrayEquals(data, dst.array());
        assertFalse(m.isZero(6));
        assertTrue(m.isZero(4));
        ByteBuffer le = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(XXHashFactory.safeInstance().hash64().hash(le, Pages.SIZE, Pages.SIZE, 0), m.hash(6)); // the library's pure-Java XXH64

        m.putLong(8 * Pages.SIZE + 16, 0x1122334455667788L);
        assertEquals(0x1122334455667788L, m.getLong(8 * Pages.SIZE + 16));
        byte[] file = Files.readAllBytes(dir.resolve("ram-" + 16 * Pages.SIZE));
        assertEquals((byte) 0x88, file[8 * Pages.SIZE + 16], "words are little-endian, in the shared file");
        assertEquals(data[Pages.SIZE], file[6 * Pages.SIZE]);
    }

    @Test
    void everyAccessIsBoundsChecked() throws Exception {
        MappedPages m = map(4 * Pages.SIZE);
        assertThrows(IndexOutOfBoundsException.class, () -> m.read(3, 2, ByteBuffer.allocate(2 * Pages.SIZE)));
        assertThrows(IndexOutOfBoundsException.class, () -> m.write(-1, 1, ByteBuffer.allocate(Pages.SIZE)));
        assertThrows(BufferOverflowException.class, () -> m.read(0, 2, ByteBuffer.allocate(Pages.SIZE)));
        assertThrows(BufferUnderflowException.class, () -> m.write(0, 1, ByteBuffer.allocate(10)));
        assertThrows(IllegalArgumentException.class, () -> m.getLong(3));
        assertThrows(IndexOutOfBoundsException.class, () -> m.putLong(4L * Pages.SIZE, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> m.isZero(4));
        assertThrows(IndexOutOfBoundsException.class, () -> m.hash(-1));
        assertThrows(IOException.class, () -> MappedPages.map(dir.resolve("ram-" + 4 * Pages.SIZE), "vm",
                8 * Pages.SIZE), "a RAM file shorter than the guest");
        assertThrows(IllegalArgumentException.class, () -> map(100));
    }

    @Test
    void closedMemorySaysTheVmIsGone() throws Exception {
        MappedPages m = map(2 * Pages.SIZE);
        m.close();
        m.close();
        assertTrue(m.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.getLong(0));
        assertEquals("the memory of VM 'vm' is gone (VM destroyed)", e.getMessage());
        assertThrows(IllegalStateException.class, () -> m.read(0, 1, ByteBuffer.allocate(Pages.SIZE)));
    }

    /** A range across the 1 GiB chunk boundary: a sparse file, so it costs no RAM or disk. */
    @Test
    void rangesCrossChunks() throws Exception {
        long size = MappedPages.CHUNK_SIZE + 4 * Pages.SIZE;
        MappedPages m = map(size);
        long first = MappedPages.CHUNK_SIZE / Pages.SIZE - 2;
        byte[] data = new byte[4 * Pages.SIZE];
        new Random(2).nextBytes(data);
        m.write(first, 4, ByteBuffer.wrap(data));
        ByteBuffer back = ByteBuffer.allocate(data.length);
        m.read(first, 4, back);
        assertArrayEquals(data, back.array());
        m.putLong(MappedPages.CHUNK_SIZE + 8, 42);
        assertEquals(42, m.getLong(MappedPages.CHUNK_SIZE + 8));
        m.close();
    }
}
