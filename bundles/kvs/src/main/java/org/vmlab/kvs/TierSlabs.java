package org.vmlab.kvs;

import java.nio.ByteBuffer;

import org.vmlab.api.tiering.MemoryTier;
import org.vmlab.api.tiering.TierRegion;

/**
 * One tier of the store: its arena cut into 1 MiB slab pages handed to size classes on demand,
 * each class's free chunks, and each class's three LRU lists (HOT, WARM, COLD) linked through the
 * items' headers. Not thread-safe: the store's lock guards it.
 */
final class TierSlabs implements AutoCloseable {
    final int index;
    final String name;
    final MemoryTier tier;
    /** Whether touching this tier costs anything beyond the host's DRAM (header reads are charged). */
    final boolean emulated;
    private final TierRegion arena;
    private final SlabClasses classes;
    private final int pageBytes;
    private final long pages;
    private long pagesUsed;
    private final long[] freeHead;
    private final long[] freeCount;
    private final long[] classPages;
    /** The class each page was given to, -1 for none yet. */
    private final int[] pageClass;
    private final long[][] heads;
    private final long[][] tails;
    private final long[][] sizes;
    private long items;

    TierSlabs(int index, MemoryTier tier, long limitBytes, SlabClasses classes, int pageBytes) {
        this.index = index;
        this.name = tier.name();
        this.tier = tier;
        this.emulated = tier.model().readLatencyNanos() > 0 || tier.model().writeLatencyNanos() > 0;
        this.classes = classes;
        this.pageBytes = pageBytes;
        this.pages = limitBytes / pageBytes;
        this.arena = tier.allocate(pages * pageBytes);
        int n = classes.count();
        freeHead = new long[n];
        java.util.Arrays.fill(freeHead, Items.NIL);
        freeCount = new long[n];
        classPages = new long[n];
        pageClass = new int[(int) pages];
        java.util.Arrays.fill(pageClass, -1);
        heads = new long[n][3];
        tails = new long[n][3];
        sizes = new long[n][3];
        for (int c = 0; c < n; c++) {
            java.util.Arrays.fill(heads[c], Items.NIL);
            java.util.Arrays.fill(tails[c], Items.NIL);
        }
    }

    // ------------------------------------------------------------ chunks

    /** A free chunk of class {@code clsid}, taking a new page if needed; NIL if the tier is full. */
    long allocate(int clsid) {
        if (freeHead[clsid] == Items.NIL && !newPage(clsid)) {
            return Items.NIL;
        }
        long a = freeHead[clsid];
        freeHead[clsid] = getLong(a, Items.H_NEXT);
        freeCount[clsid]--;
        return a;
    }

    /** Gives class {@code clsid} the next unused page, cut into chunks. */
    private boolean newPage(int clsid) {
        if (pagesUsed >= pages) {
            return false;
        }
        carve((int) pagesUsed++, clsid);
        return true;
    }

    private void carve(int page, int clsid) {
        long base = (long) page * pageBytes;
        pageClass[page] = clsid;
        classPages[clsid]++;
        int size = classes.chunkSize(clsid);
        int per = pageBytes / size;
        for (int i = per - 1; i >= 0; i--) {
            long a = Items.address(index, base + (long) i * size);
            putByte(a, Items.IFLAGS, (byte) 0);
            putLong(a, Items.H_NEXT, freeHead[clsid]);
            freeHead[clsid] = a;
        }
        freeCount[clsid] += per;
    }

    /**
     * A page to take from another class for {@code clsid} (memcached's slab reassignment): one of
     * the class with the most pages, other than {@code spare} (-1: none); -1 if there is none.
     */
    int donorPage(int clsid, int spare) {
        int donor = -1;
        for (int c = 0; c < classPages.length; c++) {
            if (c != clsid && c != spare && classPages[c] > 0 && (donor < 0 || classPages[c] > classPages[donor])) {
                donor = c;
            }
        }
        if (donor < 0) {
            return -1;
        }
        for (int p = (int) pagesUsed - 1; p >= 0; p--) {
            if (pageClass[p] == donor) {
                return p;
            }
        }
        return -1;
    }

    /** The linked items of page {@code page}, which the caller empties before {@link #reassign}. */
    long[] linkedItems(int page) {
        int cls = pageClass[page];
        int size = classes.chunkSize(cls);
        int per = pageBytes / size;
        long base = (long) page * pageBytes;
        long[] out = new long[per];
        int n = 0;
        for (int i = 0; i < per; i++) {
            long a = Items.address(index, base + (long) i * size);
            if ((getByte(a, Items.IFLAGS) & Items.LINKED) != 0) {
                out[n++] = a;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** Takes emptied page {@code page} from its class and gives it to {@code clsid}. */
    void reassign(int page, int clsid) {
        int donor = pageClass[page];
        long lo = (long) page * pageBytes;
        long hi = lo + pageBytes;
        long kept = Items.NIL;
        long keptTail = Items.NIL;
        long count = 0;
        for (long a = freeHead[donor]; a != Items.NIL; ) {
            long next = getLong(a, Items.H_NEXT);
            long off = Items.offset(a);
            if (off < lo || off >= hi) {
                if (keptTail == Items.NIL) {
                    kept = a;
                } else {
                    putLong(keptTail, Items.H_NEXT, a);
                }
                keptTail = a;
                count++;
            }
            a = next;
        }
        if (keptTail != Items.NIL) {
            putLong(keptTail, Items.H_NEXT, Items.NIL);
        }
        freeHead[donor] = kept;
        freeCount[donor] = count;
        classPages[donor]--;
        carve(page, clsid);
    }

    void free(long a, int clsid) {
        putByte(a, Items.IFLAGS, (byte) 0);
        putLong(a, Items.H_NEXT, freeHead[clsid]);
        freeHead[clsid] = a;
        freeCount[clsid]++;
    }

    boolean hasFree(int clsid) {
        return freeHead[clsid] != Items.NIL || pagesUsed < pages;
    }

    // ------------------------------------------------------------ LRU lists

    void linkHead(long a, int clsid, byte lru) {
        long h = heads[clsid][lru];
        putLong(a, Items.PREV, Items.NIL);
        putLong(a, Items.NEXT, h);
        if (h != Items.NIL) {
            putLong(h, Items.PREV, a);
        } else {
            tails[clsid][lru] = a;
        }
        heads[clsid][lru] = a;
        putByte(a, Items.LRU, lru);
        sizes[clsid][lru]++;
        items++;
    }

    void unlink(long a, int clsid) {
        byte lru = getByte(a, Items.LRU);
        long p = getLong(a, Items.PREV);
        long n = getLong(a, Items.NEXT);
        if (p != Items.NIL) {
            putLong(p, Items.NEXT, n);
        } else {
            heads[clsid][lru] = n;
        }
        if (n != Items.NIL) {
            putLong(n, Items.PREV, p);
        } else {
            tails[clsid][lru] = p;
        }
        sizes[clsid][lru]--;
        items--;
    }

    long tail(int clsid, byte lru) {
        return tails[clsid][lru];
    }

    long head(int clsid, byte lru) {
        return heads[clsid][lru];
    }

    long size(int clsid, byte lru) {
        return sizes[clsid][lru];
    }

    long items() {
        return items;
    }

    long lruTotal(byte lru) {
        long n = 0;
        for (long[] s : sizes) {
            n += s[lru];
        }
        return n;
    }

    long usedBytes() {
        return pagesUsed * pageBytes;
    }

    long limitBytes() {
        return pages * pageBytes;
    }

    long classPages(int clsid) {
        return classPages[clsid];
    }

    long freeChunks(int clsid) {
        return freeCount[clsid];
    }

    // ------------------------------------------------------------ raw access

    long getLong(long a, int field) {
        return arena.getLong(Items.offset(a) + field);
    }

    void putLong(long a, int field, long v) {
        arena.putLong(Items.offset(a) + field, v);
    }

    int getInt(long a, int field) {
        return arena.getInt(Items.offset(a) + field);
    }

    void putInt(long a, int field, int v) {
        arena.putInt(Items.offset(a) + field, v);
    }

    byte getByte(long a, int field) {
        return arena.getByte(Items.offset(a) + field);
    }

    void putByte(long a, int field, byte v) {
        arena.putByte(Items.offset(a) + field, v);
    }

    /** Copies {@code len} bytes at {@code field} of item {@code a} into {@code dst}. */
    void read(long a, int field, byte[] dst, int at, int len) {
        arena.read(Items.offset(a) + field, ByteBuffer.wrap(dst, at, len));
    }

    void write(long a, int field, byte[] src, int at, int len) {
        arena.write(Items.offset(a) + field, ByteBuffer.wrap(src, at, len));
    }

    /** Copies a whole item's bytes ({@code total}) from this tier to {@code to} at {@code b}. */
    void copyTo(long a, TierSlabs to, long b, int total) {
        byte[] buf = new byte[total];
        read(a, 0, buf, 0, total);
        to.write(b, 0, buf, 0, total);
    }

    /** Whether the key of item {@code a} is {@code key}. */
    boolean keyEquals(long a, byte[] key) {
        int n = getByte(a, Items.NKEY) & 0xFF;
        if (n != key.length) {
            return false;
        }
        long base = Items.offset(a) + Items.HEADER;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            if (arena.getLong(base + i) != longAt(key, i)) {
                return false;
            }
        }
        for (; i < n; i++) {
            if (arena.getByte(base + i) != key[i]) {
                return false;
            }
        }
        return true;
    }

    private static long longAt(byte[] b, int i) {
        return (b[i] & 0xFFL) | (b[i + 1] & 0xFFL) << 8 | (b[i + 2] & 0xFFL) << 16 | (b[i + 3] & 0xFFL) << 24
                | (b[i + 4] & 0xFFL) << 32 | (b[i + 5] & 0xFFL) << 40 | (b[i + 6] & 0xFFL) << 48
                | (b[i + 7] & 0xFFL) << 56;
    }

    @Override
    public void close() {
        arena.close();
    }
}
