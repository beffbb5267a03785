package org.vmlab.api.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import org.junit.jupiter.api.Test;

class Xxh64Test {

    private static long h(String s) {
        return Xxh64.hash(s.getBytes(StandardCharsets.US_ASCII), 0);
    }

    @Test
    void knownVectors() {
        assertEquals(0xEF46DB3751D8E999L, h(""));
        assertEquals(0xD24EC4F1A98C6E5BL, h("a"));
        assertEquals(0x44BC2CF5AD770999L, h("abc"));
        // 39 bytes: the 32-byte stripe loop, an 8-byte lane, a 4-byte lane and single bytes
        assertEquals(0xFBCEA83C8A378BF1L, h("Nobody inspects the spammish repetition"));
    }

    @Test
    void zeroPage() {
        // Computed by this implementation once the published vectors above passed (regression).
        assertEquals(0xAC869B6F32D8BBDBL, Xxh64.hash(new byte[4096], 0));
    }

    @Test
    void bufferOffsetsAndByteOrderDoNotMatter() {
        byte[] data = new byte[5000];
        new Random(1).nextBytes(data);
        for (int len : new int[] {0, 1, 3, 4, 7, 8, 31, 32, 33, 100, 4096}) {
            byte[] part = java.util.Arrays.copyOfRange(data, 17, 17 + len);
            ByteBuffer direct = ByteBuffer.allocateDirect(5000).order(ByteOrder.LITTLE_ENDIAN);
            direct.put(data).clear();
            assertEquals(Xxh64.hash(part, 0), Xxh64.hash(direct, 17, len, 0), "length " + len);
        }
    }
}
