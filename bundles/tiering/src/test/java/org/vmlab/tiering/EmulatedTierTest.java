package org.vmlab.tiering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.VmlabException;
import org.vmlab.api.tiering.MemoryTier;
import org.vmlab.api.tiering.TierModel;
import org.vmlab.api.tiering.TierRegion;

/** What charging costs: the latency is spent, reads and write-backs apart, bandwidth shared. */
class EmulatedTierTest {
    @TempDir
    Path dir;

    @Test
    void readsAndWriteBacksCostTheirOwnLatency() throws Exception {
        DefaultTieringService s = TieringTestSupport.service(dir, 100);
        try {
            // host read/write-back calibrated at 100 ns: 1100/5100 ns models add 1000/5000 ns
            MemoryTier t = s.tier("nvm", 1 << 20, new TierModel("t", 1100, 5100, 0, 0, 64, 64, ""), 1_000_000);
            long reads = cpuNanos(() -> {
                for (int i = 0; i < 2000; i++) {
                    t.chargeRead(8);
                }
                t.settle();
            });
            long writes = cpuNanos(() -> {
                for (int i = 0; i < 2000; i++) {
                    t.chargeWrite(64);
                }
                t.settle();
            });
            assertTrue(reads >= 1_900_000, "2000 reads of 1 us extra took " + reads + " ns of CPU");
            assertTrue(writes >= 9_500_000, "2000 write-backs of 5 us extra took " + writes + " ns of CPU");
            assertTrue(writes > 3 * reads, "write-backs cost more than reads: " + writes + " vs " + reads);
            assertEquals(2000, t.counters().reads());
            assertEquals(2000, t.counters().writes());
            assertEquals(2000L * 64, t.counters().bytesWritten());
        } finally {
            s.close();
        }
    }

    @Test
    void bandwidthHoldsAcrossThreads() throws Exception {
        DefaultTieringService s = TieringTestSupport.service(dir, 100);
        try {
            long bw = 200L << 20; // 200 MiB/s of write bandwidth, shared
            MemoryTier t = s.tier("nvm", 1 << 20, new TierModel("t", 0, 0, 0, bw, 64, 256, ""));
            int threads = 4;
            int perThread = 10; // 10 MiB each, 40 MiB in all: at least 0.2 s at 200 MiB/s
            double rate = BandwidthRun.writeBytesPerSecond(t, threads, perThread * (1L << 20), 64 << 10);
            assertTrue(rate <= bw * 1.05, "all threads together stay under the bandwidth: " + rate / (1 << 20)
                    + " MiB/s");
        } finally {
            s.close();
        }
    }

    @Test
    void regionsAreRawMemoryAndCountAgainstCapacity() throws Exception {
        DefaultTieringService s = TieringTestSupport.service(dir, 100);
        try {
            MemoryTier t = s.tier("dram", 3 << 20, s.model("dram"));
            try (TierRegion r = t.allocate(2 << 20)) {
                r.putLong(8, 42);
                r.putInt(100, 7);
                r.write(1000, ByteBuffer.wrap(new byte[]{1, 2, 3}));
                ByteBuffer b = ByteBuffer.allocate(3);
                r.read(1000, b);
                assertEquals(42, r.getLong(8));
                assertEquals(7, r.getInt(100));
                assertEquals(3, b.get(2));
                assertEquals(2 << 20, t.allocatedBytes());
                assertThrows(VmlabException.class, () -> t.allocate(2 << 20), "over the capacity");
                assertThrows(IndexOutOfBoundsException.class, () -> r.getLong((2 << 20) - 4));
            }
            assertEquals(0, t.allocatedBytes(), "closing gives the capacity back");
        } finally {
            s.close();
        }
    }

    private static long cpuNanos(Runnable r) {
        long c0 = DelayDebt.cpuNow();
        r.run();
        return DelayDebt.cpuNow() - c0;
    }
}
