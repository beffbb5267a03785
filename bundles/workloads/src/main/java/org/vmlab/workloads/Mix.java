package org.vmlab.workloads;

import java.nio.charset.StandardCharsets;

/** Small hash functions shared by the workloads' in-guest data structures. */
final class Mix {
    private Mix() {
    }

    /** The SplitMix64 finaliser: a bijective 64-bit mix. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The check word of a page that holds counter {@code c} at frame {@code pfn}. */
    static long check(long c, long pfn) {
        return mix64(c * 0x9E3779B97F4A7C15L + mix64(pfn ^ 0x5DEECE66DL) + 0x6A09E667F3BCC909L);
    }

    /** FNV-1a 64 of a string's UTF-8 bytes. */
    static long fnv64(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }
}
