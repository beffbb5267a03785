package org.vmlab.emu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;

import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.memory.Pages;

/**
 * Page hashes cross the wire (verification compares them between nodes, builds and backends), so
 * {@link EmuGuestMemory#pageHash} must stay XXH64 with seed 0, with the values vmlab's own
 * implementation gave before lz4-java computed them.
 */
class PageHashTest {
    /** XXH64 of a zero page. */
    static final long ZERO_PAGE = 0xAC869B6F32D8BBDBL;

    @TempDir
    Path dir;

    static long xxh64(byte[] data) {
        return XXHashFactory.safeInstance().hash64().hash(data, 0, data.length, 0);
    }

    @Test
    void everyImplementationOfTheLibraryGivesThePublishedVectors() {
        for (XXHashFactory f : new XXHashFactory[] {XXHashFactory.fastestInstance(), XXHashFactory.fastestJavaInstance(),
                XXHashFactory.safeInstance()}) {
            XXHash64 h = f.hash64();
            assertEquals(0xEF46DB3751D8E999L, hash(h, ""), f.toString());
            assertEquals(0xD24EC4F1A98C6E5BL, hash(h, "a"), f.toString());
            assertEquals(0x44BC2CF5AD770999L, hash(h, "abc"), f.toString());
            // 39 bytes: the 32-byte stripe loop, an 8-byte lane, a 4-byte lane and single bytes
            assertEquals(0xFBCEA83C8A378BF1L, hash(h, "Nobody inspects the spammish repetition"), f.toString());
        }
    }

    private static long hash(XXHash64 h, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        return h.hash(b, 0, b.length, 0);
    }

    @Test
    void pageHashesAreThoseEarlierBuildsSent() throws Exception {
        // Values of vmlab's own XXH64 (api 1.x Xxh64) for these pages.
        long[] before = {0x0D7C69396992F027L, 0x0AE0195BCB8FEEB4L, 0xD559356967F6FD43L};
        EmuGuestMemory mem = EmuGuestMemory.create(dir, "hash", 1L << 20);
        try {
            assertEquals(ZERO_PAGE, mem.pageHash(0));
            for (int seed = 1; seed <= 3; seed++) {
                byte[] page = new byte[Pages.SIZE];
                new Random(seed).nextBytes(page);
                // across a chunk-internal offset, from a heap buffer and the mapped file alike
                mem.writePage(seed * 7, ByteBuffer.wrap(page));
                assertEquals(before[seed - 1], mem.pageHash(seed * 7), "page of Random(" + seed + ")");
                assertEquals(before[seed - 1], xxh64(page));
            }
            byte[] counting = new byte[Pages.SIZE];
            for (int i = 0; i < counting.length; i++) {
                counting[i] = (byte) i;
            }
            mem.writePage(255, ByteBuffer.wrap(counting));
            assertEquals(0x0F6E64BE186AF6A4L, mem.pageHash(255));
        } finally {
            mem.close();
        }
    }
}
