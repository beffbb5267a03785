package org.vmlab.storage.precache;

/**
 * {@code recency}: blocks never written during the session go first, in disk order; a written
 * block is sent again only once it has been quiet for {@code quietSeconds}, so a hot block is not
 * re-sent at every write.
 */
final class RecencyPicker implements BlockPicker {
    private final long quietSeconds;
    private long cursor;

    RecencyPicker(long quietSeconds) {
        this.quietSeconds = quietSeconds;
    }

    @Override
    public boolean eligible(PrecacheState state, long block, long nowMillis) {
        return state.quietSeconds(block, nowMillis) >= quietSeconds;
    }

    @Override
    public void advance(long end) {
        cursor = end;
    }

    @Override
    public long next(PrecacheState state, long nowMillis) {
        long start = cursor;
        long b = state.nextUncached(start);
        boolean wrapped = false;
        while (true) {
            if (b < 0) {
                if (wrapped || start == 0) {
                    cursor = 0;
                    return -1;
                }
                wrapped = true;
                b = state.nextUncached(0);
                continue;
            }
            if (wrapped && b >= start) {
                cursor = 0;
                return -1;
            }
            if (state.quietSeconds(b, nowMillis) >= quietSeconds) {
                cursor = b + 1;
                return b;
            }
            b = state.nextUncached(b + 1);
        }
    }
}
