package org.vmlab.kvs;

/**
 * Where an item lives and how its header is laid out in its slab chunk, as in memcached: the
 * header, then the key, then the value. Items are addressed by a long: the tier in the high bits,
 * the byte offset in that tier's arena in the low 40.
 *
 * <pre>
 *  0 hnext   long  next item in the hash bucket (or in the free list)
 *  8 prev    long  LRU neighbour towards the head
 * 16 next    long  LRU neighbour towards the tail
 * 24 cas     long
 * 32 exptime int   seconds since the server started; 0 never, -1 already expired
 * 36 flags   int   the client's flags
 * 40 nbytes  int   value length
 * 44 nkey    byte  key length (1..250, unsigned)
 * 45 clsid   byte  slab class
 * 46 lru     byte  HOT, WARM or COLD
 * 47 iflags  byte  FETCHED, ACTIVE, LINKED, WIN_SENT, STALE
 * 48 time    int   last access, seconds since the server started
 * 52 -       int   padding
 * 56 key, then value
 * </pre>
 */
final class Items {
    static final long NIL = -1;
    static final int HEADER = 56;
    static final int MAX_KEY = 250;

    static final int H_NEXT = 0;
    static final int PREV = 8;
    static final int NEXT = 16;
    static final int CAS = 24;
    static final int EXPTIME = 32;
    static final int FLAGS = 36;
    static final int NBYTES = 40;
    static final int NKEY = 44;
    static final int CLSID = 45;
    static final int LRU = 46;
    static final int IFLAGS = 47;
    static final int TIME = 48;

    static final byte HOT = 0;
    static final byte WARM = 1;
    static final byte COLD = 2;

    static final byte FETCHED = 1;
    static final byte ACTIVE = 2;
    static final byte LINKED = 4;
    /** Meta protocol: a client was told it won the right to recache this item (W). */
    static final byte WIN_SENT = 8;
    /** Meta protocol: marked stale by {@code md I}; served with X until replaced. */
    static final byte STALE = 16;

    private static final int TIER_SHIFT = 40;
    private static final long OFFSET_MASK = (1L << TIER_SHIFT) - 1;

    private Items() {
    }

    static long address(int tier, long offset) {
        return ((long) tier << TIER_SHIFT) | offset;
    }

    static int tier(long address) {
        return (int) (address >>> TIER_SHIFT);
    }

    static long offset(long address) {
        return address & OFFSET_MASK;
    }

    /** Bytes an item of this key and value takes, header included. */
    static long total(int nkey, long nbytes) {
        return HEADER + nkey + nbytes;
    }

    static String lruName(int lru) {
        return switch (lru) {
            case HOT -> "hot";
            case WARM -> "warm";
            default -> "cold";
        };
    }
}
