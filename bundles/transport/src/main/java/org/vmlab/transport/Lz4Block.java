package org.vmlab.transport;

import java.util.Objects;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * LZ4 blocks (the raw block format, no frame around it) through lz4-java: its native codec where
 * the platform has one, its Java codec elsewhere.
 *
 * <p>Decoding is meant for input from remote peers: it uses the library's bounds-checked ("safe")
 * decompressor, which never reads past the block nor writes outside
 * {@code dst[dstOff, dstOff + length)}, and it requires the block to decode to exactly
 * {@code length} bytes. Every malformed, truncated or lying block is a {@link TransportException}
 * whose message starts with {@code "LZ4 "}; nothing else escapes.
 *
 * <p>Instances and the static methods are thread-safe.
 */
public final class Lz4Block {
    private static final LZ4Factory FACTORY = LZ4Factory.fastestInstance();
    private static final LZ4SafeDecompressor DECOMPRESSOR = FACTORY.safeDecompressor();

    private final LZ4Compressor compressor = FACTORY.fastCompressor();

    /** The largest compressed size of {@code length} input bytes (incompressible input). */
    public static int maxCompressedLength(int length) {
        return FACTORY.fastCompressor().maxCompressedLength(length);
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
        try {
            return compressor.compress(src, srcOff, length, dst, dstOff, dstMax);
        } catch (LZ4Exception doesNotFit) {
            // Only possible with dstMax below maxCompressedLength(length); hot paths pass that
            // bound and compare the size themselves, so no exception is made per page.
            return -1;
        }
    }

    /**
     * Decompresses the block {@code src[srcOff, srcOff + srcLen)} that must decode to exactly
     * {@code length} bytes at {@code dst[dstOff, dstOff + length)}.
     *
     * @throws TransportException if the block is malformed, truncated or decodes to another size
     */
    public static void decompress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int length)
            throws TransportException {
        decompress(DECOMPRESSOR, src, srcOff, srcLen, dst, dstOff, length);
    }

    /** {@link #decompress(byte[], int, int, byte[], int, int)} with a given decoder (tests try each). */
    static void decompress(LZ4SafeDecompressor decoder, byte[] src, int srcOff, int srcLen, byte[] dst,
                           int dstOff, int length) throws TransportException {
        Objects.checkFromIndexSize(srcOff, srcLen, src.length);
        Objects.checkFromIndexSize(dstOff, length, dst.length);
        int n;
        try {
            n = decoder.decompress(src, srcOff, srcLen, dst, dstOff, length);
        } catch (LZ4Exception e) {
            throw new TransportException("LZ4 block of " + srcLen + " bytes is malformed or decodes to more than "
                    + length + " bytes (" + e.getMessage() + ")");
        }
        if (n != length) {
            throw new TransportException("LZ4 block decodes to " + n + " bytes, expected " + length);
        }
    }
}
