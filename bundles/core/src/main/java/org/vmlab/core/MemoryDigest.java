package org.vmlab.core;

/**
 * Folds per-page hashes into one digest of a whole memory. Each page's hash is mixed with its
 * frame number before it is summed, so equal content at other addresses changes the digest; the
 * sum makes the digest independent of the order pages are visited in.
 */
final class MemoryDigest {
    private MemoryDigest() {
    }

    static long add(long digest, long pfn, long pageHash) {
        return digest + mix(pageHash ^ mix(pfn + 0x9E3779B97F4A7C15L));
    }

    /** splitmix64's finaliser: a bijection that spreads every input bit over the output. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
