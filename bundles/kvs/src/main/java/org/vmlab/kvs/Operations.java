package org.vmlab.kvs;

import java.nio.charset.StandardCharsets;

/**
 * What the protocols' commands do to the store, by memcached's semantics. Each method takes the
 * store's lock once; the caller settles the emulated costs after it returns.
 */
final class Operations {
    /** How a storage command treats an existing item. */
    enum Mode { SET, ADD, REPLACE, APPEND, PREPEND, CAS }

    /** Outcomes, named as the text protocol answers. */
    enum Result { STORED, NOT_STORED, EXISTS, NOT_FOUND, DELETED, TOUCHED, TOO_LARGE, NO_MEMORY, NON_NUMERIC }

    /** A storage result with the item's new CAS (0 if nothing was stored). */
    record Stored(Result result, long cas) {
    }

    /** An incr/decr result: the new value (text) and CAS when stored. */
    record Arith(Result result, String value, long cas) {
    }

    private final ItemStore store;
    private final MetaOperations meta;

    Operations(ItemStore store) {
        this.store = store;
        this.meta = new MetaOperations(this, store);
    }

    /** What only the meta commands do: leases, invalidation. */
    MetaOperations meta() {
        return meta;
    }

    ItemStore store() {
        return store;
    }

    /**
     * A retrieval: the item copied out, or null for a miss.
     *
     * @param bump       whether the hit counts for the LRU (meta {@code u} turns it off)
     * @param newExptime for gat/gats and meta {@code T}: the new expiry (protocol value), or null
     */
    Hit get(byte[] key, boolean bump, Long newExptime) {
        long hash = HashIndex.hash(key);
        store.lock.lock();
        try {
            store.count(Counter.CMD_GET);
            if (newExptime != null) {
                store.count(Counter.CMD_TOUCH);
            }
            long a = store.find(key, hash);
            if (a == Items.NIL) {
                store.count(Counter.GET_MISSES);
                if (newExptime != null) {
                    store.count(Counter.TOUCH_MISSES);
                }
                return null;
            }
            store.count(Counter.GET_HITS);
            TierSlabs t = store.at(a);
            int last = t.getInt(a, Items.TIME);
            boolean fetched = (t.getByte(a, Items.IFLAGS) & Items.FETCHED) != 0;
            if (newExptime != null) {
                store.count(Counter.TOUCH_HITS);
                t.putInt(a, Items.EXPTIME, store.expiry(newExptime));
            }
            Hit hit = store.copy(a, last, fetched);
            if (bump) {
                store.lru.hit(a, hash);
            }
            return hit;
        } finally {
            store.lock.unlock();
        }
    }

    /** The item's metadata without counting a fetch (meta {@code me}), or null. */
    Hit peek(byte[] key) {
        long hash = HashIndex.hash(key);
        store.lock.lock();
        try {
            long a = store.find(key, hash);
            if (a == Items.NIL) {
                return null;
            }
            TierSlabs t = store.at(a);
            return new Hit(t.getInt(a, Items.FLAGS), t.getInt(a, Items.EXPTIME), t.getLong(a, Items.CAS),
                    new byte[t.getInt(a, Items.NBYTES)], t.getInt(a, Items.TIME),
                    (t.getByte(a, Items.IFLAGS) & Items.FETCHED) != 0, t.name, store.clsid(a));
        } finally {
            store.lock.unlock();
        }
    }

    /** set, add, replace, append, prepend, cas. {@code casIn} is compared for CAS (0: none). */
    Stored store(Mode mode, byte[] key, int flags, long exptime, byte[] data, long casIn) {
        return store(mode, key, flags, exptime, data, casIn, false);
    }

    /**
     * A storage command; with {@code invalidate} (meta {@code I}) a CAS lower than the item's is
     * accepted and the stored item is marked stale.
     */
    Stored store(Mode mode, byte[] key, int flags, long exptime, byte[] data, long casIn, boolean invalidate) {
        if (!store.fits(key.length, data.length)) {
            return new Stored(Result.TOO_LARGE, 0);
        }
        long hash = HashIndex.hash(key);
        store.lock.lock();
        try {
            store.count(Counter.CMD_SET);
            long old = store.find(key, hash);
            boolean stale = invalidate && old != Items.NIL && casIn != 0
                    && Long.compareUnsigned(casIn, store.at(old).getLong(old, Items.CAS)) < 0;
            Result refusal = stale ? null : refusal(mode, old, casIn);
            if (refusal != null) {
                return new Stored(refusal, 0);
            }
            byte[] value = data;
            int itemFlags = flags;
            int expiry = store.expiry(exptime);
            byte keep = 0;
            if (stale) {
                // An older CAS stored over an item keeps it stale: its TTL is not raised and a
                // win already handed out stays handed out.
                TierSlabs o = store.at(old);
                expiry = o.getInt(old, Items.EXPTIME);
                keep = (byte) (Items.STALE | (o.getByte(old, Items.IFLAGS) & Items.WIN_SENT));
            }
            if (mode == Mode.APPEND || mode == Mode.PREPEND) {
                Hit h = store.copy(old, 0, false);
                value = mode == Mode.APPEND ? concat(h.value(), data) : concat(data, h.value());
                itemFlags = h.flags();
                expiry = h.exptime();
                if (!store.fits(key.length, value.length)) {
                    return new Stored(Result.TOO_LARGE, 0);
                }
            }
            long casBefore = old == Items.NIL ? 0 : store.at(old).getLong(old, Items.CAS);
            store.lru.pin(old);
            long a;
            try {
                a = store.create(key, itemFlags, expiry, value);
            } finally {
                store.lru.unpin();
            }
            if (a == Items.NIL) {
                return new Stored(Result.NO_MEMORY, 0);
            }
            // Making room may have moved or evicted the old item: find it again.
            long now = store.find(key, hash);
            if (old != Items.NIL && (now == Items.NIL || store.at(now).getLong(now, Items.CAS) != casBefore)) {
                if (mode != Mode.SET) {
                    store.freeUnlinked(a);
                    return new Stored(mode == Mode.CAS ? Result.NOT_FOUND : Result.NOT_STORED, 0);
                }
            }
            if (mode == Mode.CAS) {
                store.count(Counter.CAS_HITS);
            }
            long cas = store.link(a, now, hash);
            if (keep != 0) {
                TierSlabs t = store.at(a);
                t.putByte(a, Items.IFLAGS, (byte) (t.getByte(a, Items.IFLAGS) | keep));
            }
            return new Stored(Result.STORED, cas);
        } finally {
            store.lock.unlock();
        }
    }

    /** Why a storage command must not store, or null if it may. */
    private Result refusal(Mode mode, long old, long casIn) {
        boolean exists = old != Items.NIL;
        switch (mode) {
            case ADD:
                if (exists) {
                    store.lru.hit(old, 0); // memcached bumps the existing item on a failed add
                    return Result.NOT_STORED;
                }
                return null;
            case REPLACE:
            case APPEND:
            case PREPEND:
                return exists ? casMismatch(old, casIn) : Result.NOT_STORED;
            case CAS:
                if (!exists) {
                    store.count(Counter.CAS_MISSES);
                    return Result.NOT_FOUND;
                }
                if (store.at(old).getLong(old, Items.CAS) != casIn) {
                    store.count(Counter.CAS_BADVAL);
                    return Result.EXISTS;
                }
                return null;
            default:
                return exists ? casMismatch(old, casIn) : null;
        }
    }

    private Result casMismatch(long old, long casIn) {
        if (casIn != 0 && store.at(old).getLong(old, Items.CAS) != casIn) {
            store.count(Counter.CAS_BADVAL);
            return Result.EXISTS;
        }
        return null;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** delete, with an optional CAS to compare (0: none). */
    Result delete(byte[] key, long casIn) {
        long hash = HashIndex.hash(key);
        store.lock.lock();
        try {
            long a = store.find(key, hash);
            if (a == Items.NIL) {
                store.count(Counter.DELETE_MISSES);
                return Result.NOT_FOUND;
            }
            if (casIn != 0 && store.at(a).getLong(a, Items.CAS) != casIn) {
                return Result.EXISTS;
            }
            store.count(Counter.DELETE_HITS);
            store.unlink(a, hash);
            return Result.DELETED;
        } finally {
            store.lock.unlock();
        }
    }

    /** touch. */
    Result touch(byte[] key, long exptime) {
        long hash = HashIndex.hash(key);
        store.lock.lock();
        try {
            store.count(Counter.CMD_TOUCH);
            long a = store.find(key, hash);
            if (a == Items.NIL) {
                store.count(Counter.TOUCH_MISSES);
                return Result.NOT_FOUND;
            }
            store.count(Counter.TOUCH_HITS);
            TierSlabs t = store.at(a);
            t.putInt(a, Items.EXPTIME, store.expiry(exptime));
            store.lru.hit(a, hash);
            return Result.TOUCHED;
        } finally {
            store.lock.unlock();
        }
    }

    /**
     * incr/decr: a 64-bit unsigned counter in decimal text; incr wraps, decr stops at 0.
     *
     * @param casIn     CAS to compare, 0 for none
     * @param vivify    meta {@code N}: create the item with {@code initial} on a miss (expiry
     *                  {@code vivifyExptime})
     * @param newExptime meta {@code T}: a new expiry for the item (protocol value), or null
     */
    Arith arith(byte[] key, boolean incr, long delta, long casIn, boolean vivify, long initial, long vivifyExptime,
                Long newExptime) {
        long hash = HashIndex.hash(key);
        store.lock.lock();
        try {
            long a = store.find(key, hash);
            if (a == Items.NIL) {
                store.count(incr ? Counter.INCR_MISSES : Counter.DECR_MISSES);
                if (!vivify) {
                    return new Arith(Result.NOT_FOUND, null, 0);
                }
                String v = Long.toUnsignedString(initial);
                long b = store.create(key, 0, store.expiry(vivifyExptime), v.getBytes(StandardCharsets.US_ASCII));
                if (b == Items.NIL) {
                    return new Arith(Result.NO_MEMORY, null, 0);
                }
                return new Arith(Result.STORED, v, store.link(b, Items.NIL, hash));
            }
            TierSlabs t = store.at(a);
            if (casIn != 0 && t.getLong(a, Items.CAS) != casIn) {
                return new Arith(Result.EXISTS, null, 0);
            }
            Hit h = store.copy(a, 0, false);
            Long current = parseCounter(h.value());
            if (current == null) {
                return new Arith(Result.NON_NUMERIC, null, 0);
            }
            store.count(incr ? Counter.INCR_HITS : Counter.DECR_HITS);
            long next = incr ? current + delta : Long.compareUnsigned(current, delta) < 0 ? 0 : current - delta;
            String v = Long.toUnsignedString(next);
            byte[] bytes = v.getBytes(StandardCharsets.US_ASCII);
            int expiry = newExptime == null ? h.exptime() : store.expiry(newExptime);
            store.lru.pin(a);
            long b;
            try {
                b = store.create(key, h.flags(), expiry, bytes);
            } finally {
                store.lru.unpin();
            }
            if (b == Items.NIL) {
                return new Arith(Result.NO_MEMORY, null, 0);
            }
            long cas = store.link(b, store.find(key, hash), hash);
            store.lru.hit(b, hash);
            return new Arith(Result.STORED, v, cas);
        } finally {
            store.lock.unlock();
        }
    }

    /** The value as an unsigned decimal counter (memcached's strtoull with its checks), or null. */
    static Long parseCounter(byte[] v) {
        int n = v.length;
        while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\r' || v[n - 1] == '\n')) {
            n--;
        }
        if (n == 0 || n > 20) {
            return null;
        }
        long x = 0;
        for (int i = 0; i < n; i++) {
            int d = v[i] - '0';
            if (d < 0 || d > 9) {
                return null;
            }
            long y = x * 10 + d;
            if (Long.compareUnsigned(x, Long.divideUnsigned(-1L, 10)) > 0 || Long.compareUnsigned(y, x) < 0) {
                return null;
            }
            x = y;
        }
        return x;
    }
}
