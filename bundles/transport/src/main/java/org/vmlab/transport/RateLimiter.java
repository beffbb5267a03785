package org.vmlab.transport;

import java.util.concurrent.locks.LockSupport;

import org.vmlab.api.DataRate;

/**
 * A token bucket in bytes, shared by every stream of one link. {@link #acquire} debits the bucket
 * first and then parks until the debt is paid, so the long-run rate is exact and a burst is at
 * most {@link #burstBytes()}.
 *
 * <p>{@link #priority()} gives a view of the same bucket whose sends never wait: they go into
 * debt, which the other senders then pay. What a waiting guest needs (a page it faulted on) thus
 * overtakes the bulk (the postcopy push), and the link's rate still holds.
 */
public final class RateLimiter {

    /** The bucket; one per link, shared by its views. */
    private static final class Bucket {
        private final double bytesPerNano;
        private final double burst;
        private double tokens;
        private long last;

        Bucket(DataRate rate) {
            bytesPerNano = rate.bitsPerSecond() / 8.0 / 1e9;
            // 100 ms of traffic (QEMU rate-limits in 100 ms slices), at least 64 KiB: a sender that a
            // busy host deschedules for a few ms catches up instead of losing that time for good (a 5 ms
            // bucket lost 3-13% of 1 Gbit/s on this 2-core machine under load); the long-run rate stays exact.
            burst = Math.max(64 * 1024, rate.bitsPerSecond() / 8.0 * 0.1);
            tokens = burst;
            last = System.nanoTime();
        }

        /** Debits {@code bytes}; returns when the debt is paid off, or 0 if there is none. */
        synchronized long take(long bytes) {
            long now = System.nanoTime();
            tokens = Math.min(burst, tokens + (now - last) * bytesPerNano);
            last = now;
            tokens -= bytes;
            return tokens >= 0 ? 0 : now + (long) Math.ceil(-tokens / bytesPerNano);
        }
    }

    private final boolean unlimited;
    private final Bucket bucket;
    private final boolean priority;

    public RateLimiter(DataRate rate) {
        this(rate.isUnlimited(), rate.isUnlimited() ? null : new Bucket(rate), false);
    }

    private RateLimiter(boolean unlimited, Bucket bucket, boolean priority) {
        this.unlimited = unlimited;
        this.bucket = bucket;
        this.priority = priority;
    }

    /** A limiter that never waits. */
    public static RateLimiter unlimited() {
        return new RateLimiter(DataRate.UNLIMITED);
    }

    /** The same bucket, for sends that never wait: their bytes are debited for the others to pay. */
    public RateLimiter priority() {
        return new RateLimiter(unlimited, bucket, true);
    }

    public boolean isUnlimited() {
        return unlimited;
    }

    public long burstBytes() {
        return unlimited ? 0 : (long) bucket.burst;
    }

    /** The rate in bytes per second; 0 for unlimited. */
    public double bytesPerSecond() {
        return unlimited ? 0 : bucket.bytesPerNano * 1e9;
    }

    /**
     * Takes {@code bytes} from the bucket, parking until they are covered (a {@link #priority()}
     * view takes them without waiting).
     *
     * @throws InterruptedException if the thread is interrupted while waiting
     */
    public void acquire(long bytes) throws InterruptedException {
        if (unlimited || bytes <= 0) {
            return;
        }
        long deadline = bucket.take(bytes);
        if (deadline == 0 || priority) {
            return;
        }
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(left);
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted while rate limited");
            }
        }
    }
}
