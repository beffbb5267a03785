package org.vmlab.tiering;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One direction (read or write) of a tier's bandwidth, shared by every thread: each transfer
 * takes the next free slot of the clock, so transfers queue as on a real memory channel.
 */
final class BandwidthClock {
    /** When the channel is next free, on the nanoTime clock (compared by difference: it may wrap). */
    private final AtomicLong freeAt = new AtomicLong(System.nanoTime());

    /**
     * Reserves {@code nanos} starting no earlier than {@code notBefore}; returns when the
     * reservation ends.
     */
    long reserve(long notBefore, long nanos) {
        while (true) {
            long f = freeAt.get();
            long start = f - notBefore > 0 ? f : notBefore;
            long end = start + nanos;
            if (freeAt.compareAndSet(f, end)) {
                return end;
            }
        }
    }
}
