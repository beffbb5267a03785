package org.vmlab.storage.precache;

/**
 * A pre-caching strategy's one decision: which block to send next. Called by the session's sender
 * only, so an implementation may keep a cursor without locking.
 */
interface BlockPicker {

    /** The next block to send, or -1 when none is due now (the sender waits an interval). */
    long next(PrecacheState state, long nowMillis);

    /** The picked block went with the ones before {@code end}: look on from there. */
    void advance(long end);

    /** Whether a block after a picked one may go with it in one write. */
    default boolean eligible(PrecacheState state, long block, long nowMillis) {
        return true;
    }
}
