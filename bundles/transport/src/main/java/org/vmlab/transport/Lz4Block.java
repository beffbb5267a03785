package org.vmlab.transport;

import java.util.Objects;

/**
 * The LZ4 block format (a sequence of literal runs and back-references, no frame around it),
 * written for this project: a greedy single-probe compressor and a strictly bounds-checked
 * decompressor meant for input from remote peers.
 *
 * <p>A block is a series of sequences. Each starts with a token byte: its high nibble is the
 * literal count, its low nibble the match length minus 4; a nibble of 15 continues in further
 * bytes that are added while they are 255. Then come the literals, a 2-byte little-endian offset
 * back into the output (1..65535) and, if continued, the match length bytes. The last sequence has
 * literals only; by the format's end rules the last 5 bytes are literals and the last match starts
 * at least 12 bytes before the end.
 *
 * <p>The decompressor needs the exact decoded size up front and refuses anything else: a block
 * that ends early or late, a literal run or match past the end of the input or the output, an
 * offset of 0 or before the start of the output. It allocates nothing, writes only inside
 * {@code dst[dstOff, dstOff + length)} and runs in time linear in the input plus the output.
 *
 * <p>A compressor instance keeps a hash table and is not thread-safe; decompression is stateless.
 */
public final class Lz4Block {
    private static final int MIN_MATCH = 4;
    /** The last 5 bytes are always literals. */
    private static final int LAST_LITERALS = 5;
    /** A match must start at least this far from the end. */
    private static final int MF_LIMIT = 12;
    private static final int MAX_OFFSET = 65535;
    private static final int HASH_BITS = 12;
    /** Misses before the search step grows by one (speeds through incompressible data). */
    private static final int SKIP_TRIGGER = 6;

    /** Positions + {@link #base} of the last occurrence of each 4-byte hash. */
    private final int[] table = new int[1 << HASH_BITS];
    /** Entries below this belong to earlier inputs; saves clearing the table per call. */
    private int base = 1;

    /** The largest compressed size of {@code length} input bytes (incompressible input). */
    public static int maxCompressedLength(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        return length + length / 255 + 16;
    }

    /**
     * Compresses {@code src[srcOff, srcOff + length)} into {@code dst} from {@code dstOff}, writing
     * at most {@code dstMax} bytes.
     *
     * @return the compressed size, or -1 if it would exceed {@code dstMax} (nothing useful was
     *         written then; callers send the data raw)
     */
    public int compress(byte[] src, int srcOff, int length, byte[] dst, int dstOff, int dstMax) {
        Objects.checkFromIndexSize(srcOff, length, src.length);
        Objects.checkFromIndexSize(dstOff, dstMax, dst.length);
        if (base > Integer.MAX_VALUE - length - 1) {
            java.util.Arrays.fill(table, 0);
            base = 1;
        }
        int b = base - srcOff;          // table value = position + b
        base += length + 1;
        int end = srcOff + length;
        int matchStartLimit = end - MF_LIMIT;
        int matchEndLimit = end - LAST_LITERALS;
        int op = dstOff;
        int oend = dstOff + dstMax;
        int anchor = srcOff;
        int ip = srcOff;
        if (length >= MF_LIMIT + 1) {
            int misses = 1 << SKIP_TRIGGER;
            while (ip <= matchStartLimit) {
                int seq = readInt(src, ip);
                int h = hash(seq);
                int ref = table[h] - b;
                table[h] = ip + b;
                if (ref < srcOff || ref >= ip || ip - ref > MAX_OFFSET || readInt(src, ref) != seq) {
                    ip += misses++ >>> SKIP_TRIGGER;
                    continue;
                }
                misses = 1 << SKIP_TRIGGER;
                while (ip > anchor && ref > srcOff && src[ip - 1] == src[ref - 1]) {
                    ip--;
                    ref--;
                }
                int len = MIN_MATCH;
                while (ip + len < matchEndLimit && src[ip + len] == src[ref + len]) {
                    len++;
                }
                op = sequence(src, anchor, ip - anchor, ip - ref, len, dst, op, oend);
                if (op < 0) {
                    return -1;
                }
                ip += len;
                anchor = ip;
                if (ip - 2 > srcOff && ip - 2 <= matchStartLimit) {
                    table[hash(readInt(src, ip - 2))] = ip - 2 + b;
                }
            }
        }
        op = sequence(src, anchor, end - anchor, 0, 0, dst, op, oend);
        return op < 0 ? -1 : op - dstOff;
    }

    /** Writes one sequence (a match length of 0 means the last, literal-only one); -1 if it does not fit. */
    private static int sequence(byte[] src, int lit, int litLen, int offset, int matchLen, byte[] dst, int op, int oend) {
        int need = 1 + litLen + litLen / 255 + 1 + (matchLen == 0 ? 0 : 2 + (matchLen - MIN_MATCH) / 255 + 1);
        if (need > oend - op) {
            return -1;
        }
        int ml = matchLen == 0 ? 0 : matchLen - MIN_MATCH;
        int token = op++;
        dst[token] = (byte) ((Math.min(litLen, 15) << 4) | Math.min(ml, 15));
        op = lengthBytes(litLen, dst, op);
        System.arraycopy(src, lit, dst, op, litLen);
        op += litLen;
        if (matchLen == 0) {
            return op;
        }
        dst[op++] = (byte) offset;
        dst[op++] = (byte) (offset >>> 8);
        return lengthBytes(ml, dst, op);
    }

    private static int lengthBytes(int n, byte[] dst, int op) {
        if (n >= 15) {
            n -= 15;
            while (n >= 255) {
                dst[op++] = (byte) 255;
                n -= 255;
            }
            dst[op++] = (byte) n;
        }
        return op;
    }

    /**
     * Decompresses the block {@code src[srcOff, srcOff + srcLen)} that must decode to exactly
     * {@code length} bytes at {@code dst[dstOff, dstOff + length)}.
     *
     * @throws TransportException if the block is malformed, truncated or decodes to another size
     */
    public static void decompress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int length)
            throws TransportException {
        Objects.checkFromIndexSize(srcOff, srcLen, src.length);
        Objects.checkFromIndexSize(dstOff, length, dst.length);
        int ip = srcOff;
        int iend = srcOff + srcLen;
        int op = dstOff;
        int oend = dstOff + length;
        while (true) {
            if (ip >= iend) {
                throw new TransportException("LZ4 block truncated: it ends after " + (op - dstOff)
                        + " of " + length + " bytes without a final literal run");
            }
            int token = src[ip++] & 0xFF;
            int litLen = token >>> 4;
            if (litLen == 15) {
                int more;
                do {
                    if (ip >= iend) {
                        throw new TransportException("LZ4 block truncated in a literal length");
                    }
                    more = src[ip++] & 0xFF;
                    litLen += more;
                    if (litLen > length) {
                        throw new TransportException("LZ4 literal run longer than the " + length + "-byte output");
                    }
                } while (more == 255);
            }
            if (litLen > iend - ip) {
                throw new TransportException("LZ4 literal run of " + litLen + " bytes overruns the input ("
                        + (iend - ip) + " left)");
            }
            if (litLen > oend - op) {
                throw new TransportException("LZ4 literal run of " + litLen + " bytes overruns the output ("
                        + (oend - op) + " left)");
            }
            System.arraycopy(src, ip, dst, op, litLen);
            ip += litLen;
            op += litLen;
            if (ip == iend) {
                if (op != oend) {
                    throw new TransportException("LZ4 block decodes to " + (op - dstOff) + " bytes, expected " + length);
                }
                return;
            }
            if (iend - ip < 2) {
                throw new TransportException("LZ4 block truncated in a match offset");
            }
            int offset = (src[ip] & 0xFF) | (src[ip + 1] & 0xFF) << 8;
            ip += 2;
            if (offset == 0) {
                throw new TransportException("LZ4 match offset 0 at output byte " + (op - dstOff));
            }
            if (offset > op - dstOff) {
                throw new TransportException("LZ4 match offset " + offset + " reaches before the start of the output (at byte "
                        + (op - dstOff) + ")");
            }
            int matchLen = token & 15;
            if (matchLen == 15) {
                int more;
                do {
                    if (ip >= iend) {
                        throw new TransportException("LZ4 block truncated in a match length");
                    }
                    more = src[ip++] & 0xFF;
                    matchLen += more;
                    if (matchLen > length) {
                        throw new TransportException("LZ4 match longer than the " + length + "-byte output");
                    }
                } while (more == 255);
            }
            matchLen += MIN_MATCH;
            if (matchLen > oend - op) {
                throw new TransportException("LZ4 match of " + matchLen + " bytes overruns the output ("
                        + (oend - op) + " left)");
            }
            int from = op - offset;
            if (offset >= matchLen) {
                System.arraycopy(dst, from, dst, op, matchLen);
                op += matchLen;
            } else {
                // Overlapping copy repeats the last `offset` bytes: byte by byte, in order.
                for (int i = 0; i < matchLen; i++) {
                    dst[op++] = dst[from + i];
                }
            }
        }
    }

    private static int readInt(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 | (b[i + 2] & 0xFF) << 16 | (b[i + 3] & 0xFF) << 24;
    }

    private static int hash(int seq) {
        return (seq * -1640531535) >>> (32 - HASH_BITS);
    }
}
