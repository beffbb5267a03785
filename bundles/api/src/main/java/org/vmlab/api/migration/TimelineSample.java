package org.vmlab.api.migration;

/**
 * A point of a migration's per-second timeline.
 *
 * @param seconds             time since the migration started
 * @param bytesNetwork        bytes sent over the network path so far (cumulative)
 * @param bytesSan            bytes the destination read over the SAN path so far (cumulative)
 * @param dirtyPagesPerSecond the guest's current dirty rate
 * @param guestOpsPerSecond   the workload's current throughput (0 without a workload)
 * @param guestBytesPerSecond the workload's current bytes per second (0 without a workload)
 * @param guestP99Micros      the 99th percentile of the workload's response times in its last
 *                            second, in microseconds; NaN where it measures none
 */
public record TimelineSample(double seconds, long bytesNetwork, long bytesSan,
                             double dirtyPagesPerSecond, double guestOpsPerSecond,
                             double guestBytesPerSecond, double guestP99Micros) {
    public TimelineSample {
        if (guestP99Micros < 0 || Double.isInfinite(guestP99Micros)) {
            throw new IllegalArgumentException("guestP99Micros must be NaN or finite and >= 0: " + guestP99Micros);
        }
        nonNegative("seconds", seconds);
        if (bytesNetwork < 0) {
            throw new IllegalArgumentException("bytesNetwork must be >= 0: " + bytesNetwork);
        }
        if (bytesSan < 0) {
            throw new IllegalArgumentException("bytesSan must be >= 0: " + bytesSan);
        }
        nonNegative("dirtyPagesPerSecond", dirtyPagesPerSecond);
        nonNegative("guestOpsPerSecond", guestOpsPerSecond);
        nonNegative("guestBytesPerSecond", guestBytesPerSecond);
    }

    /** A sample without guest response times. */
    public TimelineSample(double seconds, long bytesNetwork, long bytesSan, double dirtyPagesPerSecond,
                          double guestOpsPerSecond, double guestBytesPerSecond) {
        this(seconds, bytesNetwork, bytesSan, dirtyPagesPerSecond, guestOpsPerSecond, guestBytesPerSecond, Double.NaN);
    }

    private static void nonNegative(String field, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(field + " must be finite and >= 0: " + value);
        }
    }
}
