package org.vmlab.api.placement;

import java.time.Duration;
import java.util.Objects;

/**
 * How a plan is applied.
 *
 * @param concurrency  migrations at once, at least 1
 * @param engine       the transfer engine, or {@code null} for the family default
 * @param verify       verify every moved VM at its destination
 * @param rate         link rate limit per migration (e.g. {@code 1g}), or {@code null} for none
 * @param moveTimeout  how long one migration may take before it is reported as timed out
 */
public record ApplySettings(int concurrency, String engine, boolean verify, String rate, Duration moveTimeout) {
    public ApplySettings {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1: " + concurrency);
        }
        Objects.requireNonNull(moveTimeout, "moveTimeout");
    }

    /** Two at once, default engine, verified, no rate limit, 10 minutes a move. */
    public static ApplySettings defaults() {
        return new ApplySettings(2, null, true, null, Duration.ofMinutes(10));
    }
}
