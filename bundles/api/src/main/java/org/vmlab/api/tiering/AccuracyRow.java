package org.vmlab.api.tiering;

/**
 * One line of {@code tier:accuracy}: an emulated latency against what a microbenchmark measured.
 *
 * @param access        {@code read} (pointer chasing) or {@code write-back} (pointer chasing with
 *                      a store to every line)
 * @param model         {@code asymmetric} (reads and write-backs charged apart) or {@code symmetric}
 *                      (every access charged the read latency, as Quartz)
 * @param targetNanos   the latency the tier's model gives that access
 * @param hostNanos     the host's own time per access in this run (the same benchmark with nothing
 *                      emulated), which the emulator subtracts from each charge
 * @param measuredNanos the measured time per access: {@code hostNanos} plus the median, over
 *                      paired runs, of the emulated run's time less the host run's just before
 *                      it (pairing cancels what other load on the host adds to both)
 * @param errorPercent  {@code 100 * (measured - target) / target}
 */
public record AccuracyRow(String access, String model, long targetNanos, double hostNanos, double measuredNanos,
                          double errorPercent) {
}
