package org.vmlab.kvs;

import java.util.ArrayDeque;

/**
 * Where items live and which go, after memcached's segmented LRU and Fogcached's Dual-LRU. Each
 * tier has HOT, WARM and COLD lists per slab class. New items enter HOT of the first tier; an item
 * fetched twice is active. The maintainer moves HOT's tail to WARM (if active) or COLD, and WARM's
 * inactive tail to COLD, while the segments are over their shares. An active COLD item goes back
 * to WARM when hit. When a class of the first tier is full: in {@code dual-lru} its COLD tail is
 * demoted to NVM instead of evicted, and an NVM item that becomes active is promoted back to DRAM
 * (queued, moved by the maintainer); eviction happens only at the last tier's COLD tail. In
 * {@code flat} mode there is one list, bumped on every hit. All methods run under the store's lock.
 */
final class DualLru {
    private static final int MAX_PROMOTION_QUEUE = 4096;
    private static final int JUGGLE_BATCH = 500;

    private final ItemStore store;
    private final int hotPercent;
    private final int warmPercent;
    /** The item a command is changing (append, cas, incr...): never chosen to make room meanwhile. */
    private long pinned = Items.NIL;

    /** Keys of NVM items that became active, for the maintainer to promote. */
    private final ArrayDeque<byte[]> promotions = new ArrayDeque<>();

    DualLru(ItemStore store, int hotPercent, int warmPercent) {
        this.store = store;
        this.hotPercent = hotPercent;
        this.warmPercent = warmPercent;
    }

    private TierSlabs first() {
        return store.mode.usesDram ? store.tiers[0] : store.tiers[1];
    }

    private boolean demotes() {
        return store.mode == KvsMode.DUAL_LRU;
    }

    // ------------------------------------------------------------ allocation

    /** A free chunk of class {@code cls} in the first tier, demoting or evicting to make room. */
    long allocate(int cls) {
        TierSlabs t = first();
        for (int tries = 0; tries < 64; tries++) {
            long a = t.allocate(cls);
            if (a != Items.NIL) {
                return a;
            }
            long victim = tailOf(t, cls);
            if (victim == Items.NIL) {
                // This class has no items to give and the tier no free page: take another class's.
                if (!reassignPage(t, cls)) {
                    return Items.NIL;
                }
                continue;
            }
            if (!demotes() || t.index != 0 || !demote(victim)) {
                evict(victim);
            }
        }
        return Items.NIL;
    }

    /** Empties a page of the class with the most pages (demoting or evicting its items) for {@code cls}. */
    private boolean reassignPage(TierSlabs t, int cls) {
        // Spare the class of the item being changed, so its page is not emptied under it.
        int spare = pinned != Items.NIL && Items.tier(pinned) == t.index ? store.clsid(pinned) : -1;
        int page = t.donorPage(cls, spare);
        if (page < 0) {
            return false;
        }
        long[] items = t.linkedItems(page);
        for (long a : items) {
            if (a == pinned) {
                return false; // cannot happen: its class was spared
            }
        }
        for (long a : items) {
            if (!demotes() || t.index != 0 || !demote(a)) {
                evict(a);
            }
        }
        t.reassign(page, cls);
        store.count(Counter.SLABS_MOVED);
        return true;
    }

    /** Keeps item {@code a} (NIL: none) from being demoted or evicted until {@link #unpin()}. */
    void pin(long a) {
        pinned = a;
    }

    void unpin() {
        pinned = Items.NIL;
    }

    /** The COLD tail, else WARM's, else HOT's (memcached's lru_pull_tail order), passing over the pinned item. */
    private long tailOf(TierSlabs t, int cls) {
        for (byte seg : new byte[]{Items.COLD, Items.WARM, Items.HOT}) {
            long a = t.tail(cls, seg);
            if (a != Items.NIL && a == pinned) {
                a = t.getLong(a, Items.PREV);
            }
            if (a != Items.NIL) {
                return a;
            }
        }
        return Items.NIL;
    }

    private void evict(long a) {
        byte[] key = store.key(a);
        boolean expired = store.dead(a, store.now());
        store.unlink(a, HashIndex.hash(key));
        store.count(expired ? Counter.RECLAIMED : Counter.EVICTIONS);
    }

    /** Moves DRAM item {@code a} to NVM's HOT head; false if NVM has no room even after evicting. */
    private boolean demote(long a) {
        TierSlabs dram = store.tiers[0];
        TierSlabs nvm = store.tiers[1];
        int cls = store.clsid(a);
        byte[] key = store.key(a);
        long hash = HashIndex.hash(key);
        if (store.dead(a, store.now())) {
            store.unlink(a, hash);
            store.count(Counter.RECLAIMED);
            return true;
        }
        long b = Items.NIL;
        for (int tries = 0; tries < 64 && b == Items.NIL; tries++) {
            b = nvm.allocate(cls);
            if (b == Items.NIL) {
                long victim = tailOf(nvm, cls);
                if (victim == Items.NIL) {
                    return false;
                }
                evict(victim);
            }
        }
        if (b == Items.NIL) {
            return false;
        }
        int total = store.total(a);
        dram.copyTo(a, nvm, b, total);
        nvm.tier.chargeWrite(total);
        store.index.replace(a, b, hash);
        dram.unlink(a, cls);
        dram.free(a, cls);
        nvm.putByte(b, Items.IFLAGS, Items.LINKED); // fetched and active marks start over in NVM
        nvm.linkHead(b, cls, Items.HOT);
        store.count(Counter.DEMOTIONS);
        return true;
    }

    // ------------------------------------------------------------ hits

    /** Records a hit of item {@code a}: fetched, active, and where that moves it. */
    void hit(long a, long hash) {
        TierSlabs t = store.at(a);
        int cls = store.clsid(a);
        byte f = t.getByte(a, Items.IFLAGS);
        t.putInt(a, Items.TIME, store.now());
        if (store.mode == KvsMode.FLAT) {
            t.putByte(a, Items.IFLAGS, (byte) (f | Items.FETCHED));
            t.unlink(a, cls);
            t.linkHead(a, cls, Items.HOT);
            return;
        }
        if ((f & Items.FETCHED) == 0) {
            t.putByte(a, Items.IFLAGS, (byte) (f | Items.FETCHED));
            return;
        }
        if ((f & Items.ACTIVE) != 0) {
            return;
        }
        t.putByte(a, Items.IFLAGS, (byte) (f | Items.ACTIVE));
        if (t.emulated) {
            t.tier.chargeWrite(64);
        }
        if (demotes() && t.index == 1) {
            if (promotions.size() < MAX_PROMOTION_QUEUE) {
                promotions.add(store.key(a));
            } else {
                store.count(Counter.PROMOTIONS_DROPPED);
            }
        } else if (t.getByte(a, Items.LRU) == Items.COLD) {
            t.unlink(a, cls);
            t.linkHead(a, cls, Items.WARM);
        }
    }

    // ------------------------------------------------------------ the maintainer's work

    /** One pass of the maintainer: promotions, then each tier's segments; returns the work done. */
    int maintain() {
        int done = promote();
        if (store.mode == KvsMode.FLAT) {
            return done;
        }
        for (TierSlabs t : store.tiers) {
            if (t == null) {
                continue;
            }
            for (int cls = 0; cls < store.classes.count(); cls++) {
                done += juggle(t, cls);
            }
        }
        return done;
    }

    private int promote() {
        int done = 0;
        TierSlabs nvm = store.tiers[1];
        TierSlabs dram = store.tiers[0];
        while (!promotions.isEmpty() && done < JUGGLE_BATCH) {
            byte[] key = promotions.poll();
            long hash = HashIndex.hash(key);
            long b = store.find(key, hash);
            if (b == Items.NIL || Items.tier(b) != 1) {
                continue;
            }
            int cls = store.clsid(b);
            int total = store.total(b);
            byte[] bytes = new byte[total];
            nvm.read(b, 0, bytes, 0, total);
            nvm.tier.chargeRead(total);
            long a = allocate(cls); // making room may evict the NVM copy: look it up again after
            long x = store.find(key, hash);
            if (a == Items.NIL || x == Items.NIL || Items.tier(x) != 1) {
                if (a != Items.NIL) {
                    dram.free(a, cls);
                }
                continue;
            }
            dram.write(a, 0, bytes, 0, total);
            store.index.replace(x, a, hash);
            nvm.unlink(x, cls);
            nvm.free(x, cls);
            dram.putByte(a, Items.IFLAGS, (byte) (Items.LINKED | Items.FETCHED));
            dram.linkHead(a, cls, Items.WARM);
            store.count(Counter.PROMOTIONS);
            done++;
        }
        return done;
    }

    /** memcached's lru_maintainer_juggle for one class of one tier; returns the items moved. */
    private int juggle(TierSlabs t, int cls) {
        long total = t.size(cls, Items.HOT) + t.size(cls, Items.WARM) + t.size(cls, Items.COLD);
        if (total == 0) {
            return 0;
        }
        int now = store.now();
        // HOT's tail: active items to WARM, the rest to COLD; WARM's tail: active items stay
        // (bumped), the rest to COLD.
        int moved = drain(t, cls, Items.HOT, total * hotPercent / 100, Items.WARM, now, 0);
        moved = drain(t, cls, Items.WARM, total * warmPercent / 100, Items.WARM, now, moved);
        // The crawler's job, at the COLD tail: expired items give their memory back.
        for (int i = 0; i < 16; i++) {
            long a = t.tail(cls, Items.COLD);
            if (a == Items.NIL || !reclaimIfDead(a, now)) {
                break;
            }
            moved++;
        }
        return moved;
    }

    /**
     * Moves items off the tail of segment {@code seg} while it holds more than {@code limit}:
     * active ones (their mark cleared) to {@code activeTo}'s head, inactive ones to COLD's.
     * Returns {@code moved} plus what it moved, stopping at {@link #JUGGLE_BATCH}.
     */
    private int drain(TierSlabs t, int cls, byte seg, long limit, byte activeTo, int now, int moved) {
        int n = moved;
        int bumps = 0;
        while (t.size(cls, seg) > limit && n < JUGGLE_BATCH && bumps < JUGGLE_BATCH) {
            long a = t.tail(cls, seg);
            n++;
            if (reclaimIfDead(a, now)) {
                continue;
            }
            byte f = t.getByte(a, Items.IFLAGS);
            t.unlink(a, cls);
            if ((f & Items.ACTIVE) != 0) {
                bumps++;
                t.putByte(a, Items.IFLAGS, (byte) (f & ~Items.ACTIVE));
                t.linkHead(a, cls, activeTo);
            } else {
                t.linkHead(a, cls, Items.COLD);
            }
            chargeRelink(t);
        }
        return n;
    }

    private boolean reclaimIfDead(long a, int now) {
        if (!store.dead(a, now)) {
            return false;
        }
        store.unlink(a, HashIndex.hash(store.key(a)));
        store.count(Counter.RECLAIMED);
        return true;
    }

    private static void chargeRelink(TierSlabs t) {
        if (t.emulated) {
            t.tier.chargeWrite(64);
        }
    }

    int queuedPromotions() {
        return promotions.size();
    }
}
