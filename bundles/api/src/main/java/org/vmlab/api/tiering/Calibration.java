package org.vmlab.api.tiering;

/**
 * What {@code tier:calibrate} measured on this machine; the emulator subtracts the host's own
 * costs from each charge with it (Quartz's delay = target - hardware latency).
 *
 * @param clockNanos           cost of reading the thread's CPU clock (emulated stalls are paid in
 *                             CPU time)
 * @param spinOvershootNanos   median by which a busy-wait to a deadline overshoots it
 * @param paymentNanos         the processor time one payment of a delay debt costs beyond the debt
 *                             (its CPU clock reads), deducted from each payment
 * @param hostReadNanos        one dependent read of a large buffer (pointer chasing) through a
 *                             tier region, in host DRAM: what an emulated read already costs
 * @param hostWriteBackNanos   the same with a store to every line read (write-back-involving)
 * @param bufferBytes          the size of the pointer-chasing buffer
 * @param measuredAtMillis     when, in ms since the epoch
 * @param host                 the processor and JVM it was measured on
 */
public record Calibration(double clockNanos, double spinOvershootNanos, double paymentNanos, double hostReadNanos,
                          double hostWriteBackNanos, long bufferBytes, long measuredAtMillis, String host) {
}
