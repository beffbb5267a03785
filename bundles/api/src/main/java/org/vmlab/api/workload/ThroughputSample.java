package org.vmlab.api.workload;

/**
 * A workload's throughput over one second, so experiments can show what a migration costs the
 * guest.
 *
 * @param epochMillis    the end of the second (wall clock)
 * @param opsPerSecond   workload operations (requests, transactions, updates), {@code >= 0}
 * @param bytesPerSecond bytes the workload moved (served, written), {@code >= 0}
 */
public record ThroughputSample(long epochMillis, double opsPerSecond, double bytesPerSecond) {
    public ThroughputSample {
        if (!(opsPerSecond >= 0) || Double.isInfinite(opsPerSecond)) {
            throw new IllegalArgumentException(
                    "opsPerSecond must be finite and >= 0: " + opsPerSecond);
        }
        if (!(bytesPerSecond >= 0) || Double.isInfinite(bytesPerSecond)) {
            throw new IllegalArgumentException(
                    "bytesPerSecond must be finite and >= 0: " + bytesPerSecond);
        }
    }
}
