package org.vmlab.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;

import net.jpountz.xxhash.XXHashFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.memory.DirtyLog;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.memory.Pages;

/** The mapped RAM file and its content-comparing dirty log, without QEMU. */
class QemuGuestMemoryTest {
    @TempDir
    Path dir;

    private QemuGuestMemory map(long bytes) throws Exception {
        return map("ram", bytes);
    }

    private QemuGuestMemory map(String name, long bytes) throws Exception {
        Path f = dir.resolve(name);
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.setLength(bytes);
        }
        return QemuGuestMemory.map("t", f, bytes);
    }

    /** qemu-native's verification: equal memories pass, one changed word anywhere is named. */
    @Test
    void nativeVerificationNamesTheDifferingPages() throws Exception {
        QemuGuestMemory a = map("a", 64 * Pages.SIZE);
        QemuGuestMemory b = map("b", 64 * Pages.SIZE);
        QemuGuestMemory c = map("c", 65 * Pages.SIZE);
        try {
            ByteBuffer p = ByteBuffer.allocate(Pages.SIZE);
            for (long pfn : new long[] {0, 17, 63}) {
                p.clear();
                p.putLong(0, pfn * 31 + 7).putLong(Pages.SIZE - 8, ~pfn);
                a.writePage(pfn, p.duplicate());
                b.writePage(pfn, p.duplicate());
            }
            assertNull(QemuNativeEngine.compareMemory(a, b));
            p.clear();
            b.readPage(17, p);
            p.flip();
            p.putLong(2048, p.getLong(2048) ^ 1);
            b.writePage(17, p);
            assertEquals("1 pages differ between source and destination, first [17]", QemuNativeEngine.compareMemory(a, b));
            assertTrue(QemuNativeEngine.compareMemory(a, c).contains("64 and 65 pages"));
        } finally {
            a.close();
            b.close();
            c.close();
        }
    }

    @Test
    void hashesAreXxh64AndWritesAreSeen() throws Exception {
        QemuGuestMemory m = map(1L << 20);
        assertEquals(256, m.pageCount());
        assertEquals(0xAC869B6F32D8BBDBL, m.pageHash(5), "XXH64 of a zero page, as every vmlab build computes it");
        assertTrue(m.isZero(5));
        m.putLong(5 * Pages.SIZE + 16, 0x0102030405060708L);
        assertFalse(m.isZero(5));
        byte[] want = new byte[Pages.SIZE];
        ByteBuffer.wrap(want).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(16, 0x0102030405060708L);
        assertEquals(XXHashFactory.safeInstance().hash64().hash(want, 0, Pages.SIZE, 0), m.pageHash(5));
        assertThrows(IndexOutOfBoundsException.class, () -> m.pageHash(256));
        assertThrows(IllegalArgumentException.class, () -> m.getLong(3));
        assertTrue(m.postcopy().isEmpty());
        m.close();
        assertThrows(IllegalStateException.class, () -> m.getLong(0));
    }

    @Test
    void reportsExactlyChangedPages() throws Exception {
        QemuGuestMemory m = map(4L << 20);
        DirtyLog log = m.dirtyLog();
        assertFalse(log.isPrecise());
        assertThrows(IllegalStateException.class, log::sync);
        m.putLong(8, 1); // before start: not reported
        log.start();
        assertThrows(IllegalStateException.class, log::start);
        assertEquals(0, log.sync().size());
        m.putLong(3 * Pages.SIZE, 7);
        m.putLong(1023L * Pages.SIZE + 4088, 7);
        PageSet d = log.sync();
        assertEquals(2, d.size());
        assertTrue(d.contains(3) && d.contains(1023));
        assertEquals(0, log.sync().size());
        // Written back to the synced content with nobody reading in between: not a change.
        m.putLong(3 * Pages.SIZE, 8);
        m.putLong(3 * Pages.SIZE, 7);
        assertEquals(0, log.sync().size());
        log.stop();
        assertFalse(log.isLogging());
    }

    /** A-B-A: an engine read B, the guest put A back before the sync: still reported. */
    @Test
    void aPageReadWhileDifferentIsReportedEvenIfRestored() throws Exception {
        QemuGuestMemory m = map(1L << 20);
        DirtyLog log = m.dirtyLog();
        log.start();
        ByteBuffer page = ByteBuffer.allocateDirect(Pages.SIZE);

        m.putLong(10 * Pages.SIZE, 42);       // B
        m.readPage(10, page);                  // the engine sends B
        m.putLong(10 * Pages.SIZE, 0);         // back to A (zero)
        m.putLong(11 * Pages.SIZE, 42);
        ByteBuffer two = ByteBuffer.allocate(2 * Pages.SIZE);
        m.read(11, 2, two);                    // bulk read sends page 11 as B
        m.putLong(11 * Pages.SIZE, 0);
        m.putLong(20 * Pages.SIZE, 1);         // A -> C, read as C -> "zero" sent? no: not zero
        assertFalse(m.isZero(20));
        PageSet d = log.sync();
        assertTrue(d.contains(10), "page 10 must be resent: the destination got B");
        assertTrue(d.contains(11));
        assertTrue(d.contains(20));
        assertFalse(d.contains(12), "read with its synced content: nothing to resend");
        assertEquals(3, d.size());

        // Zero handed out by isZero while the synced content was not zero.
        m.putLong(30 * Pages.SIZE, 5);
        assertEquals(1, log.sync().size());
        m.putLong(30 * Pages.SIZE, 0);
        assertTrue(m.isZero(30));               // the engine sends "zero"
        m.putLong(30 * Pages.SIZE, 5);          // back to the synced content
        assertTrue(log.sync().contains(30));
        assertEquals(0, log.sync().size());
        log.stop();
        m.close();
    }
}
