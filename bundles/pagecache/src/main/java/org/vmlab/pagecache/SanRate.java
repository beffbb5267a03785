package org.vmlab.pagecache;

import java.util.concurrent.locks.LockSupport;

import org.vmlab.api.DataRate;

/**
 * The SAN path's token bucket, in bytes: a request debits it and waits until the debt is paid,
 * so the long-run rate is exact. Unlike the migration link's limiter its rate can change while it
 * runs (an experiment slows the SAN mid-migration).
 */
final class SanRate {
    private double bytesPerNano;
    private double burst;
    private double tokens;
    private long last = System.nanoTime();

    SanRate(DataRate rate) {
        set(rate);
        tokens = burst;
    }

    /** Changes the rate from now on. */
    synchronized void set(DataRate rate) {
        refill(System.nanoTime());
        bytesPerNano = rate.isUnlimited() ? Double.POSITIVE_INFINITY : rate.bitsPerSecond() / 8.0 / 1e9;
        // 20 ms of traffic, at least 256 KiB: one large request never waits for itself.
        burst = rate.isUnlimited() ? Double.POSITIVE_INFINITY : Math.max(256 * 1024, rate.bitsPerSecond() / 8.0 * 0.02);
        tokens = Math.min(tokens, burst);
    }

    private void refill(long now) {
        if (Double.isFinite(bytesPerNano)) {
            tokens = Math.min(burst, tokens + (now - last) * bytesPerNano);
        }
        last = now;
    }

    /** Debits {@code bytes} and waits until the path has carried them. */
    void acquire(long bytes) throws InterruptedException {
        long until;
        synchronized (this) {
            if (Double.isInfinite(bytesPerNano)) {
                return;
            }
            long now = System.nanoTime();
            refill(now);
            tokens -= bytes;
            until = tokens >= 0 ? 0 : now + (long) Math.ceil(-tokens / bytesPerNano);
        }
        while (until != 0 && System.nanoTime() < until) {
            LockSupport.parkNanos(until - System.nanoTime());
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }
}
