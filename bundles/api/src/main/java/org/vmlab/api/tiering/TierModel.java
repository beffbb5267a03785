package org.vmlab.api.tiering;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The performance model of a memory tier: what an emulated tier charges for each access. Reads and
 * write-backs are separate (an NVM write-back is far slower than a read, and a model that charges
 * one latency for both misestimates write-heavy work); bandwidths hold for all threads of a tier
 * together.
 *
 * @param name                a preset name such as {@code optane-dcpmm}, or {@code custom}; letters,
 *                            digits and {@code -}
 * @param readLatencyNanos    latency of one read access that misses the CPU caches, {@code >= 0}
 * @param writeLatencyNanos   latency of one access involving a write-back, {@code >= 0}
 * @param readBytesPerSecond  read bandwidth of the tier, {@code >= 0}; 0 = not limited
 * @param writeBytesPerSecond write bandwidth of the tier, {@code >= 0}; 0 = not limited
 * @param lineBytes           the CPU's access granularity (64 B cache lines), a power of two
 * @param mediaBlockBytes     the media's granularity (Optane reads and writes 256 B blocks), a
 *                            multiple of {@code lineBytes}; writes consume bandwidth in whole blocks
 * @param description         one line saying where the figures come from
 */
public record TierModel(String name, long readLatencyNanos, long writeLatencyNanos, long readBytesPerSecond,
                        long writeBytesPerSecond, int lineBytes, int mediaBlockBytes, String description) {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    public TierModel {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad tier model name '" + name + "': lower-case letters, digits and '-'");
        }
        nonNegative(name, "read latency", readLatencyNanos);
        nonNegative(name, "write latency", writeLatencyNanos);
        nonNegative(name, "read bandwidth", readBytesPerSecond);
        nonNegative(name, "write bandwidth", writeBytesPerSecond);
        if (lineBytes < 8 || lineBytes > 4096 || Integer.bitCount(lineBytes) != 1) {
            throw new IllegalArgumentException("line size of tier model '" + name + "' must be a power of two from 8 to 4096: "
                    + lineBytes);
        }
        if (mediaBlockBytes < lineBytes || mediaBlockBytes % lineBytes != 0 || mediaBlockBytes > 1 << 20) {
            throw new IllegalArgumentException("media block of tier model '" + name + "' must be a multiple of its "
                    + lineBytes + " B line, at most 1 MiB: " + mediaBlockBytes);
        }
        description = description == null ? "" : description;
    }

    private static void nonNegative(String model, String what, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(what + " of tier model '" + model + "' must be >= 0: " + value);
        }
    }

    /**
     * The same tier as a symmetric model sees it (Quartz's light-weight model): every access costs
     * the read latency and the read bandwidth, write-backs included.
     */
    public TierModel symmetric() {
        return new TierModel(name.endsWith("-symmetric") ? name : name + "-symmetric", readLatencyNanos,
                readLatencyNanos, readBytesPerSecond, readBytesPerSecond, lineBytes, mediaBlockBytes,
                "symmetric variant of " + name + ": write-backs charged as reads");
    }

    /** With these latencies, other figures kept. */
    public TierModel withLatencies(String newName, long readNanos, long writeNanos) {
        return new TierModel(newName, readNanos, writeNanos, readBytesPerSecond, writeBytesPerSecond, lineBytes,
                mediaBlockBytes, description);
    }

    /** Lines an access of {@code bytes} at an unknown offset touches, at least one. */
    public long lines(long bytes) {
        return Math.max(1, (bytes + lineBytes - 1) / lineBytes);
    }

    /** Bytes of media bandwidth a write of {@code bytes} consumes: whole media blocks. */
    public long mediaBytes(long bytes) {
        long blocks = Math.max(1, (bytes + mediaBlockBytes - 1) / mediaBlockBytes);
        return blocks * mediaBlockBytes;
    }
}
