package org.vmlab.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.workload.InvariantResult;

/** The host-side memwork check over a mapped RAM file laid out as the guest program writes it. */
class MemworkInvariantTest {
    private static final long NONCE = 0x1234_5678_9abc_def0L;

    @TempDir
    Path dir;

    /** Writes memwork page {@code index} at generation {@code counter} into frame {@code pfn}. */
    static void writePage(QemuGuestMemory m, long pfn, long index, long counter) {
        long b = pfn * Pages.SIZE;
        long check = MemworkInvariant.checkWord(NONCE, index, counter);
        m.putLong(b, MemworkInvariant.MAGIC);
        m.putLong(b + 8, 2 * counter);
        m.putLong(b + 16, index);
        m.putLong(b + 24, counter);
        m.putLong(b + 32, NONCE);
        m.putLong(b + 40, check);
        m.putLong(b + 48, ~index);
        m.putLong(b + 56, 0);
        for (int j = 8; j < 512; j++) {
            m.putLong(b + 8L * j, check + j * MemworkInvariant.GOLDEN);
        }
    }

    @Test
    void findsPagesAndTellsTornFromBroken() throws Exception {
        Path f = dir.resolve("ram");
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.setLength(4L << 20);
        }
        QemuGuestMemory m = QemuGuestMemory.map("t", f, 4L << 20);
        // 10 pages scattered over physical memory (the guest's page tables decide where).
        for (int i = 0; i < 10; i++) {
            writePage(m, 7 + i * 53, i, i % 3);
        }
        writePage(m, 900, 4, 0); // an older physical copy of page 4, still consistent
        MemworkInvariant inv = new MemworkInvariant();
        InvariantResult ok = inv.check(m); // nonce inferred from memory
        assertTrue(ok.holds(), ok.detail());
        assertEquals(11, ok.pagesChecked());
        inv.expect(NONCE, 10);
        assertTrue(inv.check(m).holds());

        // Caught mid-update (odd seq, half-written body): tolerated.
        long torn = (7 + 2 * 53) * Pages.SIZE;
        m.putLong(torn + 8, 2 * 5 - 1);
        m.putLong(torn + 8 * 100, 42);
        assertTrue(inv.check(m).holds(), inv.check(m).detail());

        // A stable page with one wrong word: broken.
        long broken = (7 + 5 * 53) * Pages.SIZE;
        m.putLong(broken + 8 * 300, m.getLong(broken + 8 * 300) ^ 1);
        InvariantResult bad = inv.check(m);
        assertFalse(bad.holds());
        assertEquals(List.of(7L + 5 * 53), bad.firstBadPages());
        assertTrue(bad.detail().contains("word 300"), bad.detail());

        // A missing page: broken too.
        writePage(m, 7 + 5 * 53, 5, 2);
        assertTrue(inv.check(m).holds());
        m.putLong(7 * Pages.SIZE, 0);
        InvariantResult missing = inv.check(m);
        assertFalse(missing.holds());
        assertTrue(missing.detail().contains("1 of 10"), missing.detail());
        m.close();
    }
}
