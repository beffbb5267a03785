package org.vmlab.api.tiering;

import java.util.Objects;

/**
 * The performance model of a memory tier, which an emulated tier enforces and a policy reasons
 * about.
 *
 * @param name                the tier's name, e.g. {@code dram}, {@code nvm}
 * @param capacityBytes       how much it holds, {@code > 0}
 * @param readLatencyNanos    latency of one read access, {@code >= 0}
 * @param writeLatencyNanos   latency of one write access, {@code >= 0}
 * @param readBytesPerSecond  read bandwidth, {@code >= 0}; 0 means not limited by the model
 * @param writeBytesPerSecond write bandwidth, {@code >= 0}; 0 means not limited by the model
 */
public record TierModel(String name, long capacityBytes, long readLatencyNanos,
                        long writeLatencyNanos, long readBytesPerSecond, long writeBytesPerSecond) {
    public TierModel {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("tier name is blank");
        }
        if (capacityBytes <= 0) {
            throw new IllegalArgumentException(
                    "capacityBytes of tier '" + name + "' must be > 0: " + capacityBytes);
        }
        nonNegative(name, "readLatencyNanos", readLatencyNanos);
        nonNegative(name, "writeLatencyNanos", writeLatencyNanos);
        nonNegative(name, "readBytesPerSecond", readBytesPerSecond);
        nonNegative(name, "writeBytesPerSecond", writeBytesPerSecond);
    }

    private static void nonNegative(String tier, String field, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(
                    field + " of tier '" + tier + "' must be >= 0: " + value);
        }
    }
}
