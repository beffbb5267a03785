package org.vmlab.workloads;

import java.util.concurrent.locks.LockSupport;

/**
 * A token bucket refilled from {@link System#nanoTime()}, owned by one guest task (not
 * thread-safe). Tokens are fractional so low rates stay exact; the bucket holds at most
 * {@code burstSeconds} of tokens, so a task held by pause or throttle does not burst afterwards
 * beyond that. A rate of 0 means unlimited.
 */
final class TokenBucket {
    /** The longest a step waits for a token before returning to the vCPU. */
    static final long MAX_WAIT_NANOS = 200_000;

    private final double perNano;
    private final double capacity;
    private double tokens;
    private long last;

    /**
     * @param perSecond    tokens per second; 0 = unlimited
     * @param burstSeconds the most tokens kept, in seconds of rate (at least one token)
     */
    TokenBucket(double perSecond, double burstSeconds) {
        this.perNano = perSecond / 1e9;
        this.capacity = Math.max(1.0, perSecond * burstSeconds);
        this.last = System.nanoTime();
        this.tokens = 0;
    }

    boolean unlimited() {
        return perNano == 0;
    }

    /**
     * Takes up to {@code max} whole tokens, waiting (parked, at most {@link #MAX_WAIT_NANOS}) if
     * none is there yet; returns how many were taken, possibly 0.
     */
    int take(int max) {
        if (perNano == 0) {
            return max;
        }
        refill();
        if (tokens < 1) {
            long wait = (long) Math.ceil((1 - tokens) / perNano);
            LockSupport.parkNanos(Math.min(wait, MAX_WAIT_NANOS));
            refill();
            if (tokens < 1) {
                return 0;
            }
        }
        int n = (int) Math.min(max, Math.floor(tokens));
        tokens -= n;
        return n;
    }

    /** Returns tokens taken but not used. */
    void giveBack(int n) {
        tokens += n;
    }

    private void refill() {
        long now = System.nanoTime();
        tokens = Math.min(capacity, tokens + (now - last) * perNano);
        last = now;
    }
}
