package org.vmlab.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class Lz4BlockTest {
    static final int PAGE = 4096;
    static final byte GUARD = (byte) 0xA5;

    /** Pages of the kinds a guest holds. */
    static Map<String, byte[]> pages() {
        Random r = new Random(42);
        Map<String, byte[]> m = new LinkedHashMap<>();
        byte[] random = new byte[PAGE];
        r.nextBytes(random);
        m.put("random", random);
        m.put("zero", new byte[PAGE]);
        byte[] text = new byte[PAGE];
        String[] words = {"the ", "migration ", "page ", "guest ", "memory ", "dirty ", "round ", "vmlab\n"};
        for (int i = 0; i < PAGE; ) {
            byte[] w = words[r.nextInt(words.length)].getBytes(StandardCharsets.US_ASCII);
            for (int j = 0; j < w.length && i < PAGE; j++) {
                text[i++] = w[j];
            }
        }
        m.put("text", text);
        byte[] rep = new byte[PAGE];
        for (int i = 0; i < PAGE; i++) {
            rep[i] = (byte) "abcdefg".charAt(i % 7);
        }
        m.put("repetitive", rep);
        byte[] ones = new byte[PAGE];
        Arrays.fill(ones, (byte) 1);
        m.put("one byte", ones);
        byte[] counters = new byte[PAGE];
        ByteBuffer cb = ByteBuffer.wrap(counters);
        for (int i = 0; i < PAGE / 8; i++) {
            cb.putLong(i * 3L);
        }
        m.put("counters", counters);
        byte[] half = new byte[PAGE];
        r.nextBytes(half);
        Arrays.fill(half, PAGE / 2, PAGE, (byte) 0);
        m.put("half random", half);
        return m;
    }

    static byte[] compress(byte[] in) {
        byte[] out = new byte[Lz4Block.maxCompressedLength(in.length)];
        int n = new Lz4Block().compress(in, 0, in.length, out, 0, out.length);
        assertTrue(n > 0, "fits the bound");
        return Arrays.copyOf(out, n);
    }

    /** Decodes into the middle of a guarded buffer and checks nothing outside was touched. */
    static byte[] decompress(byte[] block, int length) throws TransportException {
        return decompress(null, block, length);
    }

    /** The same with one of the library's decoders ({@code null}: the one the data plane uses). */
    static byte[] decompress(LZ4SafeDecompressor decoder, byte[] block, int length) throws TransportException {
        byte[] dst = new byte[length + 64];
        Arrays.fill(dst, GUARD);
        try {
            if (decoder == null) {
                Lz4Block.decompress(block, 0, block.length, dst, 32, length);
            } else {
                Lz4Block.decompress(decoder, block, 0, block.length, dst, 32, length);
            }
            return Arrays.copyOfRange(dst, 32, 32 + length);
        } finally {
            for (int i = 0; i < 32; i++) {
                assertEquals(GUARD, dst[i], "byte before the output written");
                assertEquals(GUARD, dst[32 + length + i], "byte after the output written");
            }
        }
    }

    @Test
    void pagesRoundTrip() throws Exception {
        Lz4Block c = new Lz4Block();
        for (Map.Entry<String, byte[]> e : pages().entrySet()) {
            byte[] in = e.getValue();
            byte[] out = new byte[Lz4Block.maxCompressedLength(PAGE)];
            // twice with one instance: the reused hash table must not leak into the next input
            for (int k = 0; k < 2; k++) {
                int n = c.compress(in, 0, PAGE, out, 0, out.length);
                assertArrayEquals(in, decompress(Arrays.copyOf(out, n), PAGE), e.getKey());
                System.out.printf("lz4 %-12s %4d -> %4d bytes%n", e.getKey(), PAGE, n);
            }
        }
        assertTrue(compress(new byte[PAGE]).length < 40, "a zero page shrinks to a few bytes");
    }

    @Test
    void everyLengthAndOffsetRoundTrips() throws Exception {
        Random r = new Random(3);
        Lz4Block c = new Lz4Block();
        for (int len = 0; len < 300; len++) {
            for (int kind = 0; kind < 3; kind++) {
                byte[] in = new byte[len];
                for (int i = 0; i < len; i++) {
                    in[i] = (byte) (kind == 0 ? r.nextInt() : kind == 1 ? i % 5 : r.nextInt(3));
                }
                byte[] src = new byte[len + 7];
                System.arraycopy(in, 0, src, 5, len);
                byte[] out = new byte[Lz4Block.maxCompressedLength(len) + 3];
                int n = c.compress(src, 5, len, out, 3, out.length - 3);
                assertTrue(n > 0);
                assertArrayEquals(in, decompress(Arrays.copyOfRange(out, 3, 3 + n), len), "length " + len);
            }
        }
        byte[] big = new byte[200_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i % 70_000 < 100 ? i : (i * 31) >> 12);
        }
        assertArrayEquals(big, decompress(compress(big), big.length), "offsets up to 65535 and past it");
    }

    @Test
    void tooSmallOutputIsReportedNotOverrun() {
        byte[] random = pages().get("random");
        byte[] out = new byte[PAGE + 100];
        Arrays.fill(out, GUARD);
        assertEquals(-1, new Lz4Block().compress(random, 0, PAGE, out, 10, PAGE - 16));
        for (int i = PAGE - 6; i < out.length; i++) {
            assertEquals(GUARD, out[i], "wrote past dstMax at " + i);
        }
    }

    /** The decoders lz4-java may pick: native where it loads, and its two Java ones. */
    static Map<String, LZ4SafeDecompressor> decoders() {
        Map<String, LZ4SafeDecompressor> m = new LinkedHashMap<>();
        m.put("fastest", LZ4Factory.fastestInstance().safeDecompressor());
        m.put("java", LZ4Factory.fastestJavaInstance().safeDecompressor());
        m.put("java safe", LZ4Factory.safeInstance().safeDecompressor());
        return m;
    }

    /** Refused by every decoder, with a message that names LZ4. */
    static TransportException bad(byte[] block, int length) {
        TransportException first = null;
        for (Map.Entry<String, LZ4SafeDecompressor> d : decoders().entrySet()) {
            TransportException e = assertThrows(TransportException.class, () -> decompress(d.getValue(), block, length),
                    () -> d.getKey() + " accepted " + java.util.HexFormat.of().formatHex(block));
            assertTrue(e.getMessage().startsWith("LZ4 "), e.getMessage());
            first = first == null ? e : first;
        }
        return first;
    }

    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    @Test
    void malformedBlocksAreRefused() throws Exception {
        // empty input, and an empty block that should have been 4096 bytes
        bad(new byte[0], PAGE);
        assertTrue(bad(bytes(0x00), PAGE).getMessage().contains("decodes to 0 bytes, expected 4096"));
        // literals promised but missing
        bad(bytes(0x50, 'a', 'b'), 5);
        // literal run longer than the output
        bad(bytes(0x50, 'a', 'b', 'c', 'd', 'e'), 4);
        // literal length continuation cut off
        bad(bytes(0xF0, 255, 255), PAGE);
        // huge declared literal length
        byte[] huge = new byte[10_000];
        huge[0] = (byte) 0xF0;
        Arrays.fill(huge, 1, huge.length, (byte) 255);
        bad(huge, PAGE);
        // offset 0
        bad(bytes(0x10, 'a', 0, 0, 0x00), 6);
        // offset before the start of the output (the guard bytes there must not be copied)
        bad(bytes(0x10, 'a', 2, 0, 0x00), 6);
        bad(bytes(0x00, 1, 0, 0x00), 4);
        // match longer than the output left
        bad(bytes(0x1F, 'a', 1, 0, 45, 0x00), 64);
        // huge declared match length
        byte[] hugeMatch = new byte[10_000];
        hugeMatch[0] = 0x1F;
        hugeMatch[1] = 'a';
        hugeMatch[2] = 1;
        Arrays.fill(hugeMatch, 4, hugeMatch.length, (byte) 255);
        bad(hugeMatch, PAGE);
        // match length continuation cut off
        bad(bytes(0x1F, 'a', 1, 0, 255), PAGE);
        // offset cut off
        bad(bytes(0x14, 'a', 1), PAGE);
        // ends after a match without the final literal run
        bad(bytes(0x10, 'a', 1, 0), PAGE);
        // the format's end rules: the last 5 bytes are literals, the last match starts 12 bytes before the end
        bad(bytes(0x13, 'a', 1, 0, 0x20, 'b', 'c'), 10);
        // a valid 13-byte block, and the same block decoding to another size or followed by junk
        byte[] ok = bytes(0x13, 'a', 1, 0, 0x50, 'b', 'c', 'd', 'e', 'f');
        for (LZ4SafeDecompressor d : decoders().values()) {
            assertArrayEquals("aaaaaaaabcdef".getBytes(StandardCharsets.US_ASCII), decompress(d, ok, 13));
        }
        assertTrue(bad(ok, 14).getMessage().contains("decodes to 13 bytes, expected 14"));
        bad(ok, 12);
        byte[] junk = Arrays.copyOf(ok, ok.length + 3);
        junk[ok.length] = 0x10;
        bad(junk, 13);
    }

    @Test
    void everyTruncationOfARealBlockIsRefused() {
        for (Map.Entry<String, byte[]> e : pages().entrySet()) {
            byte[] block = compress(e.getValue());
            for (int n = 0; n < block.length; n++) {
                bad(Arrays.copyOf(block, n), PAGE);
            }
        }
    }

    @Test
    void fuzzedInputOnlyEverThrowsTransportException() {
        for (Map.Entry<String, LZ4SafeDecompressor> d : decoders().entrySet()) {
            fuzz(d.getKey(), d.getValue());
        }
    }

    static void fuzz(String name, LZ4SafeDecompressor decoder) {
        Random r = new Random(2026);
        List<byte[]> seeds = new ArrayList<>();
        for (byte[] p : pages().values()) {
            seeds.add(compress(p));
        }
        int accepted = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < 200_000; i++) {
            byte[] in;
            if (i % 2 == 0) {
                in = new byte[r.nextInt(i % 10 == 0 ? 9000 : 64)];
                r.nextBytes(in);
                if (r.nextBoolean() && in.length > 0) {
                    in[0] = (byte) (r.nextInt(16) << 4 | r.nextInt(16)); // plausible tokens
                }
            } else {
                in = seeds.get(r.nextInt(seeds.size())).clone();
                for (int k = 1 + r.nextInt(4); k > 0 && in.length > 0; k--) {
                    in[r.nextInt(in.length)] ^= (byte) (1 << r.nextInt(8));
                }
            }
            int length = r.nextInt(4) == 0 ? r.nextInt(64) : PAGE;
            try {
                decompress(decoder, in, length);
                accepted++;
            } catch (TransportException expected) {
                assertTrue(expected.getMessage().startsWith("LZ4 "), expected.getMessage());
            } catch (RuntimeException e) {
                fail(name + ": input " + i + " threw " + e, e);
            }
        }
        System.out.printf("lz4 fuzz (%s, %s): 200000 inputs in %d ms, %d decoded (bit flips inside literals)%n",
                name, decoder, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), accepted);
    }

    // ---------------------------------------------------------------- the reference implementation

    /** Wraps blocks in an LZ4 frame (independent blocks, no checksums) the lz4 tool reads. */
    static byte[] frame(byte[] block, int originalLength) {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        // magic, FLG (version 01, independent blocks), BD (64 KiB blocks), header checksum of FLG|BD
        f.writeBytes(bytes(0x04, 0x22, 0x4D, 0x18, 0x60, 0x40, 0x82));
        f.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(block.length).array());
        f.writeBytes(block);
        f.writeBytes(new byte[4]);
        return f.toByteArray();
    }

    static byte[] run(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "lz4 finished");
        assertEquals(0, p.exitValue(), new String(out, StandardCharsets.UTF_8));
        return out;
    }

    @Test
    void interoperatesWithTheReferenceLz4Tool(@TempDir Path dir) throws Exception {
        Path tool = Path.of("/usr/bin/lz4");
        Assumptions.assumeTrue(Files.isExecutable(tool), "the lz4 tool is not installed");
        for (Map.Entry<String, byte[]> e : pages().entrySet()) {
            byte[] page = e.getValue();
            // ours -> reference
            Files.write(dir.resolve("ours.lz4"), frame(compress(page), PAGE));
            run(dir, tool.toString(), "-d", "-f", "-q", "ours.lz4", "ours.out");
            assertArrayEquals(page, Files.readAllBytes(dir.resolve("ours.out")), e.getKey() + " via lz4 -d");
            // reference -> ours (a 64 KiB block size keeps it one block per page)
            Files.write(dir.resolve("page.bin"), page);
            run(dir, tool.toString(), "-f", "-q", "-B4", "--no-frame-crc", "page.bin", "ref.lz4");
            ByteBuffer ref = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("ref.lz4"))).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(0x184D2204, ref.getInt());
            int flg = ref.get() & 0xFF;
            ref.get();
            if ((flg & 0x08) != 0) {
                ref.getLong();
            }
            ref.get();
            int size = ref.getInt();
            byte[] block = new byte[size & 0x7FFFFFFF];
            ref.get(block);
            if (size < 0) {
                assertArrayEquals(page, block, e.getKey() + " stored uncompressed by lz4");
            } else {
                assertArrayEquals(page, decompress(block, PAGE), e.getKey() + " from lz4");
            }
        }
    }
}
