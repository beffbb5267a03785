package org.vmlab.api.tiering;

/**
 * What a tier has charged since it was made.
 *
 * @param reads          read accesses charged
 * @param writes         write-back accesses charged
 * @param bytesRead      bytes of those reads
 * @param bytesWritten   bytes of media bandwidth those writes consumed (whole media blocks)
 * @param chargedNanos   delay added to the callers for latency and bandwidth, in ns
 */
public record TierCounters(long reads, long writes, long bytesRead, long bytesWritten, long chargedNanos) {
    public static final TierCounters ZERO = new TierCounters(0, 0, 0, 0, 0);
}
