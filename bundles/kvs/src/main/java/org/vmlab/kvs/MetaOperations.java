package org.vmlab.kvs;

/**
 * What only the meta commands do to the store: leases against dog-piling (mg N and R hand one
 * client the right to recache, W; later readers see Z) and invalidation (md I marks an item stale,
 * X), by memcached's doc/protocol.txt.
 */
final class MetaOperations {
    private final Operations ops;
    private final ItemStore store;

    MetaOperations(Operations ops, ItemStore store) {
        this.ops = ops;
        this.store = store;
    }

    /**
     * A meta get's lease flags: W (this client won the right to recache), X (the item is stale),
     * Z (another client already won).
     */
    record Lease(boolean win, boolean stale, boolean alreadySent) {
        static final Lease NONE = new Lease(false, false, false);
    }

    /** A meta get's hit (null for a miss) with its lease flags. */
    record MetaHit(Hit hit, Lease lease) {
    }

    /**
     * mg: {@link #get}, plus memcached's leases: with {@code vivifyTtl} (N) a miss creates an empty
     * item and wins; with {@code recacheBelow} (R) a hit whose TTL is lower wins; a stale item
     * wins once; later requests see Z.
     */
    MetaHit get(byte[] key, boolean bump, Long newExptime, Long vivifyTtl, Long recacheBelow) {
        long hash = HashIndex.hash(key);
        store.lock.lock();
        try {
            long a = store.find(key, hash);
            if (a == Items.NIL) {
                if (vivifyTtl == null) {
                    store.count(Counter.CMD_GET);
                    store.count(Counter.GET_MISSES);
                    return new MetaHit(null, Lease.NONE);
                }
                long b = store.create(key, 0, store.expiry(vivifyTtl), new byte[0]);
                if (b == Items.NIL) {
                    return new MetaHit(null, Lease.NONE);
                }
                store.link(b, Items.NIL, hash);
                TierSlabs t = store.at(b);
                t.putByte(b, Items.IFLAGS, (byte) (t.getByte(b, Items.IFLAGS) | Items.WIN_SENT));
                return new MetaHit(store.copy(b, t.getInt(b, Items.TIME), false), new Lease(true, false, false));
            }
        } finally {
            store.lock.unlock();
        }
        Hit h = ops.get(key, bump, newExptime);
        if (h == null) {
            return new MetaHit(null, Lease.NONE);
        }
        store.lock.lock();
        try {
            long a = store.find(key, hash);
            if (a == Items.NIL) {
                return new MetaHit(h, Lease.NONE);
            }
            TierSlabs t = store.at(a);
            byte f = t.getByte(a, Items.IFLAGS);
            boolean stale = (f & Items.STALE) != 0;
            boolean sent = (f & Items.WIN_SENT) != 0;
            int exp = t.getInt(a, Items.EXPTIME);
            boolean due = stale || recacheBelow != null && exp != 0 && exp - store.now() < recacheBelow;
            if (due && !sent) {
                t.putByte(a, Items.IFLAGS, (byte) (f | Items.WIN_SENT));
                return new MetaHit(h, new Lease(true, stale, false));
            }
            return new MetaHit(h, new Lease(false, stale, sent));
        } finally {
            store.lock.unlock();
        }
    }

    /** md I: marks the item stale and gives it a new CAS (and expiry, with T) instead of deleting it. */
    Operations.Result invalidate(byte[] key, long casIn, Long newExptime) {
        long hash = HashIndex.hash(key);
        store.lock.lock();
        try {
            long a = store.find(key, hash);
            if (a == Items.NIL) {
                return Operations.Result.NOT_FOUND;
            }
            TierSlabs t = store.at(a);
            if (casIn != 0 && t.getLong(a, Items.CAS) != casIn) {
                return Operations.Result.EXISTS;
            }
            t.putByte(a, Items.IFLAGS, (byte) ((t.getByte(a, Items.IFLAGS) | Items.STALE) & ~Items.WIN_SENT));
            t.putLong(a, Items.CAS, store.nextCas());
            if (newExptime != null) {
                t.putInt(a, Items.EXPTIME, store.expiry(newExptime));
            }
            return Operations.Result.DELETED;
        } finally {
            store.lock.unlock();
        }
    }

}
