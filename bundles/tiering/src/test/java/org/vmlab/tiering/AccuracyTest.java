package org.vmlab.tiering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.tiering.AccuracyRow;

/** The accuracy table's shape and direction (its figures are bench/tiering.sh's job). */
class AccuracyTest {
    @TempDir
    Path dir;

    @Test
    void asymmetricRowsFollowTheTargetTheSymmetricOneDoesNot() throws Exception {
        DefaultTieringService s = TieringTestSupport.service(dir, 100);
        try {
            List<String> progress = new ArrayList<>();
            List<AccuracyRow> rows = s.accuracy(List.of(3000L), 30_000, 1 << 20, true, 500, progress::add);
            assertEquals(3, rows.size());
            AccuracyRow read = rows.get(0);
            AccuracyRow wb = rows.get(1);
            AccuracyRow sym = rows.get(2);
            assertEquals("read", read.access());
            assertEquals("symmetric", sym.model());
            assertTrue(read.measuredNanos() > 1500 && wb.measuredNanos() > 1500,
                    "a 3 us tier is far slower than the host: " + rows);
            assertTrue(sym.measuredNanos() < wb.measuredNanos() / 2,
                    "a symmetric model charges write-backs the 500 ns read latency: " + rows);
            assertTrue(!progress.isEmpty());
            assertThrows(IllegalArgumentException.class,
                    () -> s.accuracy(List.of(), 30_000, 1 << 20, false, 0, m -> { }));
        } finally {
            s.close();
        }
    }
}
