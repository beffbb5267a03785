package org.vmlab.transport;

import java.util.concurrent.locks.LockSupport;

import org.vmlab.api.DataRate;

/**
 * A token bucket in bytes, shared by every stream of one link. {@link #acquire} debits the bucket
 * first and then parks until the debt is paid, so the long-run rate is exact and a burst is at
 * most {@link #burstBytes()}.
 */
public final class RateLimiter {
    private final double bytesPerNano;
    private final double burst;
    private final boolean unlimited;
    private double tokens;
    private long last;

    public RateLimiter(DataRate rate) {
        unlimited = rate.isUnlimited();
        bytesPerNano = rate.bitsPerSecond() / 8.0 / 1e9;
        // 100 ms of traffic (QEMU rate-limits in 100 ms slices), at least 64 KiB: a sender that a
        // busy host deschedules for a few ms catches up instead of losing that time for good (a 5 ms
        // bucket lost 3-13% of 1 Gbit/s on this 2-core machine under load); the long-run rate stays exact.
        burst = unlimited ? 0 : Math.max(64 * 1024, rate.bitsPerSecond() / 8.0 * 0.1);
        tokens = burst;
        last = System.nanoTime();
    }

    /** A limiter that never waits. */
    public static RateLimiter unlimited() {
        return new RateLimiter(DataRate.UNLIMITED);
    }

    public boolean isUnlimited() {
        return unlimited;
    }

    public long burstBytes() {
        return (long) burst;
    }

    /** The rate in bytes per second; 0 for unlimited. */
    public double bytesPerSecond() {
        return bytesPerNano * 1e9;
    }

    /**
     * Takes {@code bytes} from the bucket, parking until they are covered.
     *
     * @throws InterruptedException if the thread is interrupted while waiting
     */
    public void acquire(long bytes) throws InterruptedException {
        if (unlimited || bytes <= 0) {
            return;
        }
        long deadline;
        synchronized (this) {
            long now = System.nanoTime();
            tokens = Math.min(burst, tokens + (now - last) * bytesPerNano);
            last = now;
            tokens -= bytes;
            if (tokens >= 0) {
                return;
            }
            deadline = now + (long) Math.ceil(-tokens / bytesPerNano);
        }
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(left);
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted while rate limited");
            }
        }
    }
}
