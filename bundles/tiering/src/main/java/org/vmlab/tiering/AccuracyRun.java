package org.vmlab.tiering;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import org.vmlab.api.tiering.AccuracyRow;
import org.vmlab.api.tiering.Calibration;
import org.vmlab.api.tiering.TierModel;
import org.vmlab.api.tiering.TierRegion;

/**
 * Koshiba et al.'s accuracy table for this emulator: for each target latency, pointer chasing (read
 * accesses) and pointer chasing with a store to every line (write-back-involving accesses) in an
 * emulated tier, the measured time per hop against the target. The host's own latencies are
 * measured again at the start of the run, so the table does not depend on a calibration taken
 * under other load. With a symmetric model (Quartz's single latency) the write-back rows show what
 * charging every access the read latency does to a write-heavy workload.
 */
final class AccuracyRun {
    /** Pairs of runs (host, then emulated) per figure. */
    static final int PAIRS = 15;

    private final Path memoryDir;
    private final Calibration stored;
    private final long thresholdNanos;

    AccuracyRun(Path memoryDir, Calibration stored, long thresholdNanos) {
        this.memoryDir = memoryDir;
        this.stored = stored;
        this.thresholdNanos = thresholdNanos;
    }

    List<AccuracyRow> run(List<Long> targets, long hops, long bufferBytes, boolean symmetric, long symmetricReadNanos,
                          Consumer<String> progress) {
        if (bufferBytes < (16L << 10) || bufferBytes > (4L << 30)) {
            throw new IllegalArgumentException("the pointer-chasing buffer must be 16 KiB to 4 GiB, not " + bufferBytes);
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("no target latency given");
        }
        for (long t : targets) {
            if (t <= 0 || t > 1_000_000) {
                throw new IllegalArgumentException("target latency " + t + " ns is outside 1..1000000 ns");
            }
        }
        if (hops < 1000) {
            throw new IllegalArgumentException("at least 1000 hops per measurement, not " + hops);
        }
        Calibrator calibrator = new Calibrator(memoryDir);
        EmulatedTier host = calibrator.hostTier();
        List<AccuracyRow> rows = new ArrayList<>();
        try (TierRegion buf = host.allocate(bufferBytes)) {
            progress.accept("laying a pointer chase through " + new org.vmlab.api.ByteSize(bufferBytes));
            PointerChase chase = new PointerChase(buf, 7);
            chase.run(host, hops / 2, false);
            double hostRead = Calibrator.best(chase, host, hops, false);
            double hostWrite = Calibrator.best(chase, host, hops, true);
            progress.accept(String.format("host this run: read %.1f ns, write-back %.1f ns a hop", hostRead, hostWrite));
            Calibration cal = new Calibration(stored.clockNanos(), stored.spinOvershootNanos(), stored.paymentNanos(),
                    hostRead, hostWrite,
                    bufferBytes, System.currentTimeMillis(), stored.host());
            for (long target : targets) {
                if (target < hostRead || target < hostWrite) {
                    progress.accept("note: " + target + " ns is below what the host itself takes; it cannot be emulated");
                }
                TierModel m = new TierModel("accuracy", target, target, 0, 0, 64, 64, "");
                rows.add(row("read", "asymmetric", target, hostRead, measure(chase, host, m, cal, hops, false)));
                rows.add(row("write-back", "asymmetric", target, hostWrite, measure(chase, host, m, cal, hops, true)));
                if (symmetric) {
                    TierModel sym = new TierModel("accuracy", symmetricReadNanos, target, 0, 0, 64, 64, "").symmetric();
                    rows.add(row("write-back", "symmetric", target, hostWrite, measure(chase, host, sym, cal, hops, true)));
                }
                progress.accept(rows.get(rows.size() - 1).access() + " at " + target + " ns done");
            }
        }
        return rows;
    }

    /**
     * The emulated tier's time per hop less the host's, measured in {@link #PAIRS} pairs of runs
     * back to back, the median of the differences: what the emulator added, with what other load
     * adds to both runs of a pair cancelled out.
     */
    private double measure(PointerChase chase, EmulatedTier host, TierModel model, Calibration cal, long hops,
                           boolean writeBack) {
        EmulatedTier tier = new EmulatedTier("accuracy", cal.bufferBytes(), model, cal,
                new DelayDebt(thresholdNanos, Math.round(cal.paymentNanos())), memoryDir);
        long runHops = Math.max(1000, hops / PAIRS);
        chase.run(tier, runHops / 4, writeBack);
        double[] added = new double[PAIRS];
        for (int i = 0; i < PAIRS; i++) {
            double base = chase.run(host, runHops, writeBack);
            added[i] = chase.run(tier, runHops, writeBack) - base;
        }
        Arrays.sort(added);
        return added[PAIRS / 2];
    }

    private static AccuracyRow row(String access, String model, long target, double hostNanos, double added) {
        double measured = hostNanos + added;
        return new AccuracyRow(access, model, target, hostNanos, measured, 100.0 * (measured - target) / target);
    }
}
