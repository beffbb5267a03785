package org.vmlab.api.storage;

/**
 * How far a pre-caching session has got.
 *
 * @param blocksTotal  blocks of the source device
 * @param blocksCached blocks whose current content the backup site holds
 * @param blocksDirty  blocks written at the source and not yet sent again
 * @param bytesSent    bytes sent to the backup site so far
 * @param epochMillis  when these figures were taken
 */
public record PrecacheStats(long blocksTotal, long blocksCached, long blocksDirty, long bytesSent,
                            long epochMillis) {
    public PrecacheStats {
        if (blocksTotal < 0) {
            throw new IllegalArgumentException("blocksTotal must be >= 0: " + blocksTotal);
        }
        if (blocksCached < 0 || blocksCached > blocksTotal) {
            throw new IllegalArgumentException(
                    "blocksCached must be 0.." + blocksTotal + ": " + blocksCached);
        }
        if (blocksDirty < 0 || blocksDirty > blocksTotal) {
            throw new IllegalArgumentException(
                    "blocksDirty must be 0.." + blocksTotal + ": " + blocksDirty);
        }
        if (bytesSent < 0) {
            throw new IllegalArgumentException("bytesSent must be >= 0: " + bytesSent);
        }
    }

    /** The fraction of blocks the backup site holds up to date, 0 to 1 (1 for an empty device). */
    public double cachedFraction() {
        return blocksTotal == 0 ? 1.0 : (double) blocksCached / blocksTotal;
    }
}
