package org.vmlab.tiering;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;

import org.vmlab.api.tiering.Calibration;
import org.vmlab.api.tiering.TierRegion;

/**
 * Measures what the emulator needs to know about the host: the cost of reading the clock, how far a
 * busy-wait overshoots, and the host's own DRAM latency by pointer chasing, for reads and for
 * write-back-involving accesses, through the same tier code path the emulated accesses take.
 */
final class Calibrator {
    /** Far beyond this host's last-level cache, so every hop misses to DRAM (and the TLB). */
    static final long BUFFER_BYTES = 64L << 20;
    /** Runs per figure; the fastest counts (other load only ever adds time). */
    static final int RUNS = 5;
    private static final Calibration ZERO = new Calibration(0, 0, 0, 0, 0, 0, 0, "");

    private final Path memoryDir;

    Calibrator(Path memoryDir) {
        this.memoryDir = memoryDir;
    }

    Calibration measure(long hops, Consumer<String> progress) {
        progress.accept("clock: cost of reading the thread's CPU clock");
        double clock = clockNanos();
        progress.accept(String.format("CPU clock: %.1f ns a read; busy-wait overshoot", clock));
        double overshoot = spinOvershootNanos();
        progress.accept(String.format("busy-wait overshoot: %.1f ns (median); cost of a payment", overshoot));
        double payment = paymentNanos();
        progress.accept(String.format("payment: %.1f ns beyond its debt; pointer chasing in %d MiB of DRAM",
                payment, BUFFER_BYTES >> 20));
        EmulatedTier host = hostTier();
        try (TierRegion buf = host.allocate(BUFFER_BYTES)) {
            PointerChase chase = new PointerChase(buf, 42);
            chase.run(host, hops / 4, false); // warm-up: JIT and page faults
            double read = best(chase, host, hops, false);
            progress.accept(String.format("DRAM read (pointer chasing): %.1f ns a hop", read));
            double write = best(chase, host, hops, true);
            progress.accept(String.format("DRAM write-back-involving (chasing and storing): %.1f ns a hop", write));
            return new Calibration(clock, overshoot, payment, read, write, BUFFER_BYTES, System.currentTimeMillis(), host());
        }
    }

    /** A tier with nothing added, to measure the host through the tier code path. */
    EmulatedTier hostTier() {
        return new EmulatedTier("host", 4L << 30, TierPresets.DRAM, ZERO, new DelayDebt(Long.MAX_VALUE, 0),
                memoryDir);
    }

    /** The fastest of {@link #RUNS} runs: noise from other load on the host only ever adds time. */
    static double best(PointerChase chase, EmulatedTier tier, long hops, boolean writeBack) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < RUNS; i++) {
            best = Math.min(best, chase.run(tier, hops, writeBack));
        }
        return best;
    }

    private static double clockNanos() {
        int n = 200_000;
        long sink = 0;
        for (int i = 0; i < n / 10; i++) {
            sink += DelayDebt.cpuNow();
        }
        long t0 = DelayDebt.cpuNow();
        for (int i = 0; i < n; i++) {
            sink += DelayDebt.cpuNow();
        }
        long t1 = DelayDebt.cpuNow();
        return sink == 42 ? 0 : (double) (t1 - t0) / n;
    }

    /**
     * What one payment costs beyond its debt: the processor time of paying 10 us debts with nothing
     * deducted, less the debts and less the same charges unpaid; the median of 7 rounds (the
     * minimum would pick the one round no interrupt touched, and payments would then fall short).
     */
    static double paymentNanos() {
        long per = 10_000;
        int payments = 400;
        int rounds = 7;
        double[] over = new double[rounds];
        for (int round = -1; round < rounds; round++) {
            DelayDebt paid = new DelayDebt(per, 0);
            DelayDebt never = new DelayDebt(Long.MAX_VALUE, 0);
            long c0 = DelayDebt.cpuNow();
            for (int i = 0; i < payments; i++) {
                never.charge(per, null, 0);
            }
            long c1 = DelayDebt.cpuNow();
            for (int i = 0; i < payments; i++) {
                paid.charge(per, null, 0);
            }
            long c2 = DelayDebt.cpuNow();
            if (round >= 0) { // round -1 warms up
                over[round] = ((c2 - c1) - (c1 - c0) - (double) payments * per) / payments;
            }
        }
        Arrays.sort(over);
        return Math.max(0, over[rounds / 2]);
    }

    private static double spinOvershootNanos() {
        int n = 4000;
        long[] over = new long[n];
        for (int i = 0; i < n; i++) {
            long deadline = System.nanoTime() + 1000;
            long t;
            do {
                t = System.nanoTime();
            } while (t < deadline);
            over[i] = t - deadline;
        }
        Arrays.sort(over);
        return over[n / 2];
    }

    private static String host() {
        String cpu = "unknown processor";
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux: the processor stays unnamed
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cpus, Java " + Runtime.version()
                + ", " + ManagementFactory.getRuntimeMXBean().getVmName();
    }
}
