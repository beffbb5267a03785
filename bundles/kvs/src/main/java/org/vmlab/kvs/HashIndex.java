package org.vmlab.kvs;

import java.util.Arrays;

/**
 * Key to item: a power-of-two array of bucket heads, items chained through their headers' hnext
 * (memcached's assoc.c). Grows by doubling when it holds 1.5 items a bucket, rehashing under the
 * store's lock: a pause of a few ms per million items, paid while the store fills. Not
 * thread-safe: the store's lock guards it.
 */
final class HashIndex {
    private final TierSlabs[] tiers;
    private long[] buckets;
    private long count;

    HashIndex(TierSlabs[] tiers, int initialPower) {
        this.tiers = tiers;
        this.buckets = new long[1 << initialPower];
        Arrays.fill(buckets, Items.NIL);
    }

    /** FNV-1a over the key, finished with a 64-bit mix so the low bits spread. */
    static long hash(byte[] key) {
        long h = 0xcbf29ce484222325L;
        for (byte b : key) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    private TierSlabs at(long a) {
        return tiers[Items.tier(a)];
    }

    /**
     * The item with this key, or NIL. {@code touched} is told each item header it reads, so
     * the caller can charge its tier.
     */
    long find(byte[] key, long hash, java.util.function.LongConsumer touched) {
        long a = buckets[(int) (hash & (buckets.length - 1))];
        while (a != Items.NIL) {
            TierSlabs t = at(a);
            touched.accept(a);
            if (t.keyEquals(a, key)) {
                return a;
            }
            a = t.getLong(a, Items.H_NEXT);
        }
        return Items.NIL;
    }

    void insert(long a, long hash) {
        int b = (int) (hash & (buckets.length - 1));
        at(a).putLong(a, Items.H_NEXT, buckets[b]);
        buckets[b] = a;
        count++;
        if (count > buckets.length + (buckets.length >>> 1) && buckets.length < (1 << 30)) {
            grow();
        }
    }

    /** Removes item {@code a} (which must be in the index) from its bucket. */
    void remove(long a, long hash) {
        int b = (int) (hash & (buckets.length - 1));
        long p = Items.NIL;
        long x = buckets[b];
        while (x != Items.NIL && x != a) {
            p = x;
            x = at(x).getLong(x, Items.H_NEXT);
        }
        if (x == Items.NIL) {
            throw new IllegalStateException("item " + Long.toHexString(a) + " is not in its bucket");
        }
        long next = at(a).getLong(a, Items.H_NEXT);
        if (p == Items.NIL) {
            buckets[b] = next;
        } else {
            at(p).putLong(p, Items.H_NEXT, next);
        }
        count--;
    }

    /** Puts item {@code b} where item {@code a} was in its bucket chain (a move between tiers). */
    void replace(long a, long b, long hash) {
        int k = (int) (hash & (buckets.length - 1));
        long p = Items.NIL;
        long x = buckets[k];
        while (x != Items.NIL && x != a) {
            p = x;
            x = at(x).getLong(x, Items.H_NEXT);
        }
        if (x == Items.NIL) {
            throw new IllegalStateException("item " + Long.toHexString(a) + " is not in its bucket");
        }
        at(b).putLong(b, Items.H_NEXT, at(a).getLong(a, Items.H_NEXT));
        if (p == Items.NIL) {
            buckets[k] = b;
        } else {
            at(p).putLong(p, Items.H_NEXT, b);
        }
    }

    long count() {
        return count;
    }

    int buckets() {
        return buckets.length;
    }

    private void grow() {
        long[] old = buckets;
        long[] nb = new long[old.length * 2];
        Arrays.fill(nb, Items.NIL);
        byte[] key = new byte[Items.MAX_KEY];
        for (long head : old) {
            long a = head;
            while (a != Items.NIL) {
                TierSlabs t = at(a);
                long next = t.getLong(a, Items.H_NEXT);
                int n = t.getByte(a, Items.NKEY) & 0xFF;
                t.read(a, Items.HEADER, key, 0, n);
                int b = (int) (hash(Arrays.copyOf(key, n)) & (nb.length - 1));
                t.putLong(a, Items.H_NEXT, nb[b]);
                nb[b] = a;
                a = next;
            }
        }
        buckets = nb;
    }
}
