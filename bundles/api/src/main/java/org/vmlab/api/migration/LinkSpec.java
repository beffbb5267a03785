package org.vmlab.api.migration;

import java.time.Duration;
import java.util.Objects;

import org.vmlab.api.DataRate;

/**
 * The shape imposed on one data path of a migration (network or SAN), so experiments can emulate
 * a slower or more distant link than the one they run on.
 *
 * @param rate    the rate limit ({@link DataRate#UNLIMITED} for none)
 * @param latency one-way latency added to the path, {@code >= 0}
 */
public record LinkSpec(DataRate rate, Duration latency) {

    /** No rate limit, no added latency. */
    public static final LinkSpec UNLIMITED = new LinkSpec(DataRate.UNLIMITED, Duration.ZERO);

    public LinkSpec {
        Objects.requireNonNull(rate, "rate");
        Objects.requireNonNull(latency, "latency");
        if (latency.isNegative()) {
            throw new IllegalArgumentException("latency must be >= 0: " + latency);
        }
    }

    /** A link with this rate and no added latency. */
    public static LinkSpec of(DataRate rate) {
        return new LinkSpec(rate, Duration.ZERO);
    }

    @Override
    public String toString() {
        return latency.isZero() ? rate.toString() : rate + ", " + latency.toMillis() + " ms";
    }
}
