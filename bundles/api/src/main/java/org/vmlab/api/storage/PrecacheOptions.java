package org.vmlab.api.storage;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

import org.vmlab.api.DataRate;

/**
 * How a pre-caching session runs.
 *
 * @param wanRate    the WAN bandwidth it may use ({@link DataRate#UNLIMITED} for all)
 * @param interval   how often it looks for newly written blocks, {@code > 0}
 * @param parameters strategy-specific settings, copied
 */
public record PrecacheOptions(DataRate wanRate, Duration interval, Map<String, String> parameters) {
    public PrecacheOptions {
        Objects.requireNonNull(wanRate, "wanRate");
        Objects.requireNonNull(interval, "interval");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be > 0: " + interval);
        }
        parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
    }
}
