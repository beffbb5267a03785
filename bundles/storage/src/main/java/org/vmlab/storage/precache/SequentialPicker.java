package org.vmlab.storage.precache;

/** {@code all}: every block not cached, in disk order, round and round (DRBD protocol A's resync then tracking). */
final class SequentialPicker implements BlockPicker {
    private long cursor;

    @Override
    public void advance(long end) {
        cursor = end;
    }

    @Override
    public long next(PrecacheState state, long nowMillis) {
        long b = state.nextUncached(cursor);
        if (b < 0 && cursor > 0) {
            b = state.nextUncached(0);
        }
        cursor = b < 0 ? 0 : b + 1;
        return b;
    }
}
