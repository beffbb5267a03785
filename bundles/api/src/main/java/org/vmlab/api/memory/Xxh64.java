package org.vmlab.api.memory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * XXH64 (xxHash, 64-bit) written from its specification: the page hash every backend must compute
 * ({@link GuestMemory#pageHash(long)}, seed 0), shared here so emu and qemu cannot drift apart and
 * engines can hash page bytes they hold in a buffer the same way. Stateless.
 *
 * @since 1.1.0
 */
public final class Xxh64 {
    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long P5 = 0x27D4EB2F165667C5L;

    private Xxh64() {
    }

    /**
     * The page hash of the {@link Pages#SIZE} bytes at {@code page}'s position (position not
     * moved), equal to {@link GuestMemory#pageHash} of a page with that content.
     */
    public static long pageHash(ByteBuffer page) {
        ByteBuffer le = page.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        return hash(le, page.position(), Pages.SIZE, 0);
    }

    /** The hash of a whole array. */
    public static long hash(byte[] data, long seed) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        return hash(b, 0, data.length, seed);
    }

    /**
     * Hashes {@code length} bytes of {@code buf} from absolute index {@code offset}; does not move
     * the buffer's position. Words are read in the buffer's order, so the buffer must be
     * little-endian (as the specification requires) for the standard result.
     *
     * @throws IllegalArgumentException if the buffer is not little-endian
     */
    public static long hash(ByteBuffer buf, int offset, int length, long seed) {
        if (buf.order() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalArgumentException("Xxh64 needs a little-endian buffer");
        }
        int p = offset;
        int end = offset + length;
        long h;
        if (length >= 32) {
            long v1 = seed + P1 + P2;
            long v2 = seed + P2;
            long v3 = seed;
            long v4 = seed - P1;
            int limit = end - 32;
            do {
                v1 = round(v1, buf.getLong(p));
                v2 = round(v2, buf.getLong(p + 8));
                v3 = round(v3, buf.getLong(p + 16));
                v4 = round(v4, buf.getLong(p + 24));
                p += 32;
            } while (p <= limit);
            h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12)
                    + Long.rotateLeft(v4, 18);
            h = merge(h, v1);
            h = merge(h, v2);
            h = merge(h, v3);
            h = merge(h, v4);
        } else {
            h = seed + P5;
        }
        h += length;
        while (p + 8 <= end) {
            h ^= round(0, buf.getLong(p));
            h = Long.rotateLeft(h, 27) * P1 + P4;
            p += 8;
        }
        if (p + 4 <= end) {
            h ^= (buf.getInt(p) & 0xFFFFFFFFL) * P1;
            h = Long.rotateLeft(h, 23) * P2 + P3;
            p += 4;
        }
        while (p < end) {
            h ^= (buf.get(p) & 0xFFL) * P5;
            h = Long.rotateLeft(h, 11) * P1;
            p++;
        }
        h ^= h >>> 33;
        h *= P2;
        h ^= h >>> 29;
        h *= P3;
        h ^= h >>> 32;
        return h;
    }

    private static long round(long acc, long input) {
        acc += input * P2;
        acc = Long.rotateLeft(acc, 31);
        return acc * P1;
    }

    private static long merge(long acc, long v) {
        acc ^= round(0, v);
        return acc * P1 + P4;
    }
}
