package org.vmlab.kvs;

import java.util.concurrent.locks.ReentrantLock;

/**
 * The items of one server: a hash index over slab chunks in one or two tiers, kept by memcached's
 * rules (lazy expiry, flush_all by CAS and time, CAS uniques) with the {@link DualLru} deciding
 * where items live and which go. One lock guards everything; each operation holds it only to find
 * and copy bytes, and the emulated tier costs it charges are paid by the worker after the lock is
 * released ({@link #settle()}), so slow memory never serialises the workers.
 */
final class ItemStore implements AutoCloseable {
    /** memcached's REALTIME_MAXDELTA: larger expiry times are absolute Unix times. */
    static final int MAX_RELATIVE = 60 * 60 * 24 * 30;

    final ReentrantLock lock = new ReentrantLock();
    final TierSlabs[] tiers;
    final KvsMode mode;
    final SlabClasses classes;
    final HashIndex index;
    final DualLru lru;
    private final long[] counters = new long[Counter.values().length];
    private final long startMillis = System.currentTimeMillis();
    private final int itemMax;
    private long casCounter;
    private long oldestCas;
    private int flushTime;

    ItemStore(KvsMode mode, TierSlabs[] tiers, SlabClasses classes, int itemMax, int hotPercent, int warmPercent) {
        this.mode = mode;
        this.tiers = tiers;
        this.classes = classes;
        this.itemMax = itemMax;
        this.index = new HashIndex(tiers, 16);
        this.lru = new DualLru(this, hotPercent, warmPercent);
    }

    // ------------------------------------------------------------ time

    /** Seconds since the server started, from 2 on (0 means "never" in expiry fields). */
    int now() {
        return (int) ((System.currentTimeMillis() - startMillis) / 1000) + 2;
    }

    long startUnixSeconds() {
        return startMillis / 1000;
    }

    /** A protocol expiry time as seconds since start: 0 never, -1 already expired. */
    int expiry(long exptime) {
        if (exptime == 0) {
            return 0;
        }
        if (exptime < 0) {
            return -1;
        }
        if (exptime > MAX_RELATIVE) {
            long rel = exptime - startUnixSeconds() + 2;
            return rel <= now() ? -1 : (int) Math.min(Integer.MAX_VALUE, rel);
        }
        return now() + (int) exptime;
    }

    // ------------------------------------------------------------ item access helpers (lock held)

    TierSlabs at(long a) {
        return tiers[Items.tier(a)];
    }

    int clsid(long a) {
        return at(a).getByte(a, Items.CLSID) & 0xFF;
    }

    int total(long a) {
        TierSlabs t = at(a);
        return (int) Items.total(t.getByte(a, Items.NKEY) & 0xFF, t.getInt(a, Items.NBYTES));
    }

    /** Whether item {@code a} is expired or flushed. */
    boolean dead(long a, int now) {
        TierSlabs t = at(a);
        int exp = t.getInt(a, Items.EXPTIME);
        if (exp != 0 && exp <= now) {
            return true;
        }
        if (oldestCas != 0 && t.getLong(a, Items.CAS) <= oldestCas) {
            return true;
        }
        return flushTime != 0 && flushTime <= now && t.getInt(a, Items.TIME) <= flushTime;
    }

    void count(Counter c) {
        counters[c.ordinal()]++;
    }

    void count(Counter c, long n) {
        counters[c.ordinal()] += n;
    }

    long nextCas() {
        return ++casCounter;
    }

    /** The live item with this key (dead ones found are unlinked), or NIL. Charges header reads. */
    long find(byte[] key, long hash) {
        long a = index.find(key, hash, this::chargeHeader);
        if (a != Items.NIL && dead(a, now())) {
            unlink(a, hash);
            return Items.NIL;
        }
        return a;
    }

    void chargeHeader(long a) {
        TierSlabs t = at(a);
        if (t.emulated) {
            t.tier.chargeRead(64);
        }
    }

    /** Removes item {@code a} from the index and its LRU and frees its chunk. */
    void unlink(long a, long hash) {
        TierSlabs t = at(a);
        int cls = t.getByte(a, Items.CLSID) & 0xFF;
        index.remove(a, hash);
        t.unlink(a, cls);
        t.free(a, cls);
    }

    byte[] key(long a) {
        TierSlabs t = at(a);
        byte[] k = new byte[t.getByte(a, Items.NKEY) & 0xFF];
        t.read(a, Items.HEADER, k, 0, k.length);
        return k;
    }

    /** Copies item {@code a} out, charging its tier one read of the whole item. */
    Hit copy(long a, int lastAccess, boolean fetchedBefore) {
        TierSlabs t = at(a);
        int nkey = t.getByte(a, Items.NKEY) & 0xFF;
        byte[] value = new byte[t.getInt(a, Items.NBYTES)];
        t.read(a, Items.HEADER + nkey, value, 0, value.length);
        t.tier.chargeRead(Items.total(nkey, value.length));
        return new Hit(t.getInt(a, Items.FLAGS), t.getInt(a, Items.EXPTIME), t.getLong(a, Items.CAS), value,
                lastAccess, fetchedBefore, t.name, t.getByte(a, Items.CLSID) & 0xFF);
    }

    /**
     * A new item, not yet linked: room is made by the {@link DualLru} (demotion or eviction).
     * NIL if the item is too large or no room can be made.
     */
    long create(byte[] key, int flags, int exptime, byte[] value) {
        long total = Items.total(key.length, value.length);
        int cls = value.length > itemMax ? -1 : classes.classFor(total);
        if (cls < 0) {
            return Items.NIL;
        }
        long a = lru.allocate(cls);
        if (a == Items.NIL) {
            count(Counter.OUTOFMEMORY);
            return Items.NIL;
        }
        TierSlabs t = at(a);
        t.putLong(a, Items.H_NEXT, Items.NIL);
        t.putLong(a, Items.CAS, 0);
        t.putInt(a, Items.EXPTIME, exptime);
        t.putInt(a, Items.FLAGS, flags);
        t.putInt(a, Items.NBYTES, value.length);
        t.putByte(a, Items.NKEY, (byte) key.length);
        t.putByte(a, Items.CLSID, (byte) cls);
        t.putByte(a, Items.IFLAGS, (byte) 0);
        t.putInt(a, Items.TIME, now());
        t.write(a, Items.HEADER, key, 0, key.length);
        t.write(a, Items.HEADER + key.length, value, 0, value.length);
        t.tier.chargeWrite(total);
        return a;
    }

    /** Whether an item of this key and value length can ever be stored. */
    boolean fits(int nkey, long nbytes) {
        return nbytes <= itemMax && classes.classFor(Items.total(nkey, nbytes)) >= 0;
    }

    /** Links a new item into the index and its tier's LRU, replacing {@code old} (or NIL). */
    long link(long a, long old, long hash) {
        if (old != Items.NIL) {
            unlink(old, hash);
        }
        TierSlabs t = at(a);
        long cas = nextCas();
        t.putLong(a, Items.CAS, cas);
        t.putByte(a, Items.IFLAGS, Items.LINKED);
        index.insert(a, hash);
        t.linkHead(a, clsid(a), Items.HOT);
        count(Counter.TOTAL_ITEMS);
        return cas;
    }

    void freeUnlinked(long a) {
        at(a).free(a, clsid(a));
    }

    /** flush_all: every item stored so far dies now, or every item not touched after {@code delay} s. */
    void flush(long delay) {
        lock.lock();
        try {
            count(Counter.CMD_FLUSH);
            if (delay > 0) {
                flushTime = expiry(delay) - 1;
            } else {
                oldestCas = casCounter;
                flushTime = 0;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Pays the calling worker's emulated tier costs; call without the lock. */
    void settle() {
        for (TierSlabs t : tiers) {
            if (t != null) {
                t.tier.settle();
            }
        }
    }

    long counter(Counter c) {
        lock.lock();
        try {
            return counters[c.ordinal()];
        } finally {
            lock.unlock();
        }
    }

    long[] counters() {
        lock.lock();
        try {
            return counters.clone();
        } finally {
            lock.unlock();
        }
    }

    void resetCounters() {
        lock.lock();
        try {
            java.util.Arrays.fill(counters, 0);
        } finally {
            lock.unlock();
        }
    }

    long items() {
        lock.lock();
        try {
            return index.count();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            for (TierSlabs t : tiers) {
                if (t != null) {
                    t.close();
                }
            }
        } finally {
            lock.unlock();
        }
    }
}
