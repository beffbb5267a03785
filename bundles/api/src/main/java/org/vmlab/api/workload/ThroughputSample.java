package org.vmlab.api.workload;

/**
 * A workload's throughput over one second, so experiments can show what a migration costs the
 * guest.
 *
 * @param epochMillis      the end of the second (wall clock)
 * @param opsPerSecond     workload operations (requests, transactions, updates), {@code >= 0}
 * @param bytesPerSecond   bytes the workload moved (served, written), {@code >= 0}
 * @param latencyP50Micros the median response time of the operations that ended in this second,
 *                         in microseconds, or NaN where the workload does not measure it (or none
 *                         ended)
 * @param latencyP99Micros their 99th percentile, likewise
 */
public record ThroughputSample(long epochMillis, double opsPerSecond, double bytesPerSecond,
                               double latencyP50Micros, double latencyP99Micros) {
    public ThroughputSample {
        latency("latencyP50Micros", latencyP50Micros);
        latency("latencyP99Micros", latencyP99Micros);
        if (!(opsPerSecond >= 0) || Double.isInfinite(opsPerSecond)) {
            throw new IllegalArgumentException(
                    "opsPerSecond must be finite and >= 0: " + opsPerSecond);
        }
        if (!(bytesPerSecond >= 0) || Double.isInfinite(bytesPerSecond)) {
            throw new IllegalArgumentException(
                    "bytesPerSecond must be finite and >= 0: " + bytesPerSecond);
        }
    }

    /** A sample of a workload that measures no response times. */
    public ThroughputSample(long epochMillis, double opsPerSecond, double bytesPerSecond) {
        this(epochMillis, opsPerSecond, bytesPerSecond, Double.NaN, Double.NaN);
    }

    /** Whether the sample carries response times. */
    public boolean hasLatency() {
        return !Double.isNaN(latencyP99Micros);
    }

    private static void latency(String field, double value) {
        if (value < 0 || Double.isInfinite(value)) {
            throw new IllegalArgumentException(field + " must be NaN or finite and >= 0: " + value);
        }
    }
}
