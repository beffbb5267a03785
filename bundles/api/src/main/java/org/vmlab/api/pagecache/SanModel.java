package org.vmlab.api.pagecache;

import java.time.Duration;
import java.util.Objects;

import org.vmlab.api.DataRate;

/**
 * The shape of a SAN path: its rate, what each request costs (a seek and a round trip, whatever
 * its size) and how many requests it serves at once. Scattered blocks thus cost one request each,
 * a run of adjacent blocks one request: random reads are as slow as on a real SAN.
 *
 * @param rate           the path's rate limit ({@link DataRate#UNLIMITED} for none)
 * @param requestLatency what every request costs on top of its bytes, {@code >= 0}
 * @param queueDepth     requests served at once ({@code >= 1}); IOPS at most depth / latency
 * @param maxRequestBlocks most adjacent blocks one request carries ({@code >= 1})
 * @since 1.1
 */
public record SanModel(DataRate rate, Duration requestLatency, int queueDepth, int maxRequestBlocks) {

    /** 1 ms a request, 8 at once, 256 KiB requests: a modest iSCSI/FC array seen over a LAN. */
    public static SanModel of(DataRate rate) {
        return new SanModel(rate, Duration.ofMillis(1), 8, 64);
    }

    public SanModel {
        Objects.requireNonNull(rate, "rate");
        Objects.requireNonNull(requestLatency, "requestLatency");
        if (requestLatency.isNegative()) {
            throw new IllegalArgumentException("request latency must be >= 0: " + requestLatency);
        }
        if (queueDepth < 1 || maxRequestBlocks < 1) {
            throw new IllegalArgumentException("queue depth and request size must be >= 1");
        }
    }

    /** The most requests a second this path serves (infinite without latency). */
    public double maxIops() {
        return requestLatency.isZero() ? Double.POSITIVE_INFINITY : queueDepth * 1e9 / requestLatency.toNanos();
    }
}
