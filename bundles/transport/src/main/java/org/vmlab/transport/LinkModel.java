package org.vmlab.transport;

import java.time.Duration;
import java.util.Objects;

import org.vmlab.api.DataRate;

/**
 * A link's model: bottleneck rate, round-trip time, optional jitter (uniform, added to each
 * direction's one-way delay) and loss. Loss is modelled as TCP sees it on a clean path: a lost
 * segment costs one retransmission timeout ({@code max(200 ms, RTT)}) before it and everything
 * after it arrive, in order; no byte is lost.
 *
 * @param rate   bottleneck rate, {@link DataRate#UNLIMITED} for none
 * @param rtt    round-trip time, zero for none
 * @param jitter up to this much extra one-way delay per segment, zero for none
 * @param loss   probability that a 64 KiB segment is lost once, 0 to 0.5
 * @param window bytes in flight per direction at most (what TCP's windows allow), {@code > 0}
 */
public record LinkModel(DataRate rate, Duration rtt, Duration jitter, double loss, int window) {
    /** Linux's default tcp_rmem/tcp_wmem maximum (6 MiB) is what a single stream can keep in flight. */
    public static final int DEFAULT_WINDOW = 6 << 20;
    public static final LinkModel LOOPBACK = new LinkModel(DataRate.UNLIMITED, Duration.ZERO, Duration.ZERO, 0,
            DEFAULT_WINDOW);

    public LinkModel {
        Objects.requireNonNull(rate, "rate");
        Objects.requireNonNull(rtt, "rtt");
        Objects.requireNonNull(jitter, "jitter");
        if (rtt.isNegative() || jitter.isNegative()) {
            throw new IllegalArgumentException("rtt and jitter must be >= 0: " + rtt + ", " + jitter);
        }
        if (!(loss >= 0 && loss <= 0.5)) {
            throw new IllegalArgumentException("loss must be 0..0.5: " + loss);
        }
        if (window <= 0) {
            throw new IllegalArgumentException("window must be > 0: " + window);
        }
    }

    public static LinkModel of(DataRate rate, Duration rtt) {
        return new LinkModel(rate, rtt, Duration.ZERO, 0, DEFAULT_WINDOW);
    }

    /** Whether the link adds nothing (no rate limit, no delay, no loss). */
    public boolean isTransparent() {
        return rate.isUnlimited() && rtt.isZero() && jitter.isZero() && loss == 0;
    }

    /** Bytes the link holds in flight at full rate (rate × RTT). */
    public long bandwidthDelayBytes() {
        return rate.isUnlimited() ? Long.MAX_VALUE : (long) (rate.bytesPerSecond() * (rtt.toNanos() / 1e9));
    }

    /** The time {@code bytes} take to cross at the rate (zero when unlimited). */
    public double serializationSeconds(long bytes) {
        return rate.isUnlimited() ? 0 : (double) bytes / rate.bytesPerSecond();
    }

    @Override
    public String toString() {
        return "rate " + rate + ", rtt " + rtt.toMillis() + " ms" + (jitter.isZero() ? "" : ", jitter "
                + jitter.toMillis() + " ms") + (loss == 0 ? "" : ", loss " + loss);
    }
}
