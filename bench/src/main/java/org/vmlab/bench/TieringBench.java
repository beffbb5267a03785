package org.vmlab.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.vmlab.api.tiering.AccuracyRow;
import org.vmlab.api.tiering.Calibration;
import org.vmlab.api.tiering.MemoryTier;
import org.vmlab.api.tiering.TierModel;
import org.vmlab.tiering.BandwidthRun;
import org.vmlab.tiering.DefaultTieringService;
import org.vmlab.tiering.TieringSettings;

/**
 * The NVM emulator's figures for bench/tiering.sh: calibration, Koshiba et al.'s accuracy table
 * (reads and write-backs at 200..1000 ns, and a symmetric model's write-back rows), in a buffer
 * that misses to DRAM and in one that stays in L1; and the write bandwidth of the optane-dcpmm
 * preset under 4 threads against its 3 GB/s.
 *
 * <pre>java ... TieringBench DATA_DIR [HOPS]</pre>
 */
public final class TieringBench {
    private TieringBench() {
    }

    public static void main(String[] a) throws Exception {
        long hops = a.length > 1 ? Long.parseLong(a[1]) : 1_000_000;
        DefaultTieringService s = new DefaultTieringService(TieringSettings.defaults(Path.of(a[0])));
        try {
            Calibration c = s.calibrate(m -> { });
            System.out.printf("calibration: CPU clock read %.0f ns, busy-wait overshoot %.0f ns, payment %.0f ns,"
                    + " DRAM read %.1f ns, write-back %.1f ns (%s)%n", c.clockNanos(), c.spinOvershootNanos(),
                    c.paymentNanos(), c.hostReadNanos(), c.hostWriteBackNanos(), c.host());
            List<Long> targets = List.of(200L, 400L, 600L, 800L, 1000L);
            for (long buffer : new long[]{64L << 20, 16L << 10}) {
                List<AccuracyRow> rows = s.accuracy(targets, hops, buffer, true, 200, m -> { });
                System.out.printf("%naccuracy, pointer chasing in %s (%s), %d hops a figure, CPU time:%n",
                        buffer >= 1 << 20 ? (buffer >> 20) + " MiB" : (buffer >> 10) + " KiB",
                        buffer >= 1 << 20 ? "every hop misses to DRAM" : "L1-resident: the emulator's own error", hops);
                System.out.printf("%-11s %-11s %9s %9s %11s %8s%n", "access", "model", "target", "host", "measured", "error");
                List<Double> asym = new ArrayList<>();
                for (AccuracyRow r : rows) {
                    System.out.printf("%-11s %-11s %9d %9.1f %11.1f %+7.2f%%%n", r.access(), r.model(), r.targetNanos(),
                            r.hostNanos(), r.measuredNanos(), r.errorPercent());
                    if (r.model().equals("asymmetric") && r.targetNanos() > r.hostNanos()) {
                        asym.add(Math.abs(r.errorPercent()));
                    }
                }
                System.out.printf("asymmetric |error|: max %.2f%%, mean %.2f%% over %d figures (goal <= 1%%, the paper's 0.2-1.1%%)%n",
                        asym.stream().mapToDouble(d -> d).max().orElse(Double.NaN),
                        asym.stream().mapToDouble(d -> d).average().orElse(Double.NaN), asym.size());
            }
            bandwidth(s);
        } finally {
            s.close();
        }
    }

    /** 4 threads writing 64 KiB blocks to an optane-dcpmm tier: the aggregate against the model's 3 GB/s. */
    private static void bandwidth(DefaultTieringService s) throws InterruptedException {
        TierModel m = s.model("optane-dcpmm");
        MemoryTier t = s.tier("nvm", 1 << 30, m);
        int threads = 4;
        long perThread = 1L << 30;
        double rate = BandwidthRun.writeBytesPerSecond(t, threads, perThread, 64 << 10);
        System.out.printf("%nbandwidth: %d threads wrote %d GiB to optane-dcpmm in %.2f s: %.2f GB/s (model: %.1f GB/s)%n",
                threads, threads * perThread >> 30, threads * perThread / rate, rate / 1e9, m.writeBytesPerSecond() / 1e9);
    }
}
