package org.vmlab.kvs;

import java.util.Locale;

/** The store's counters, named as memcached's {@code stats} names them (and ours for the tiers). */
enum Counter {
    CMD_GET, CMD_SET, CMD_FLUSH, CMD_TOUCH, GET_HITS, GET_MISSES, GET_EXPIRED, GET_FLUSHED, DELETE_MISSES,
    DELETE_HITS, INCR_MISSES, INCR_HITS, DECR_MISSES, DECR_HITS, CAS_MISSES, CAS_HITS, CAS_BADVAL, TOUCH_HITS,
    TOUCH_MISSES, TOTAL_ITEMS, EVICTIONS, RECLAIMED, OUTOFMEMORY, SLABS_MOVED, DEMOTIONS, PROMOTIONS, PROMOTIONS_DROPPED;

    /** The stats name: {@code get_hits}. */
    String stat() {
        return name().toLowerCase(Locale.ROOT);
    }
}
