package org.vmlab.qemu;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.workload.InvariantResult;
import org.vmlab.api.workload.MemoryInvariant;

/**
 * vmlab-memwork's invariant, checked by scanning guest physical memory for its self-describing
 * pages (guest/README.md): w0 magic {@code VMLABPG1}, w1 seq (odd while being rewritten), w2
 * index, w3 counter, w4 nonce, w5 check = mix64(magic ^ nonce ^ index*K1 ^ counter*K2), w6 =
 * ~index, w7 = 0, w8..w511 = check + j*GOLDEN. A page is recognised by magic, w6 == ~w2 and the
 * run's nonce; one with an odd seq was caught mid-update by the pause and is tolerated; every other
 * recognised page must be exact. Several physical copies of one index (a page the guest kernel
 * moved) are fine as long as each is consistent. The invariant holds when no page is bad and
 * every index 0..pages-1 was found (when the run's page count is known from the console).
 */
final class MemworkInvariant implements MemoryInvariant {
    static final long MAGIC = 0x31475042414C4D56L;
    static final long K1 = 0x9E3779B97F4A7C15L;
    static final long K2 = 0xC2B2AE3D27D4EB4FL;
    static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private volatile long nonce;
    private volatile boolean nonceKnown;
    private volatile long expectedPages = -1;

    /** A run's nonce and page count, as its console start line gives them. */
    record Expected(long nonce, long pages) {
    }

    /** The run's nonce and page count, from its console start line. */
    void expect(long nonce, long pages) {
        this.nonce = nonce;
        this.expectedPages = pages;
        this.nonceKnown = true;
    }

    /**
     * What {@link #expect} was told, if anything: a snapshot carries it, since a restored guest's
     * new console never repeats the start line.
     */
    Optional<Expected> expected() {
        return nonceKnown ? Optional.of(new Expected(nonce, expectedPages)) : Optional.empty();
    }

    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static long checkWord(long nonce, long index, long counter) {
        return mix64(MAGIC ^ nonce ^ (index * K1) ^ (counter * K2));
    }

    @Override
    public InvariantResult check(GuestMemory memory) {
        java.nio.ByteBuffer page = java.nio.ByteBuffer.allocate(Pages.SIZE).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long n = memory.pageCount();
        Long runNonce = nonceKnown ? nonce : null;
        if (runNonce == null) {
            runNonce = majorityNonce(memory, page);
        }
        List<Long> bad = new ArrayList<>();
        long badCount = 0;
        long torn = 0;
        long steps = 0;
        String firstDetail = null;
        Map<Long, Long> best = new HashMap<>(); // index -> highest counter seen
        long recognised = 0;
        if (runNonce != null) {
            long want = runNonce;
            for (long pfn = 0; pfn < n; pfn++) {
                if (memory.getLong(pfn << Pages.SHIFT) != MAGIC) {
                    continue;
                }
                page.clear();
                memory.readPage(pfn, page);
                long index = page.getLong(16);
                if (page.getLong(48) != ~index || page.getLong(32) != want) {
                    continue;
                }
                recognised++;
                long seq = page.getLong(8);
                long counter = page.getLong(24);
                if ((seq & 1) != 0) {
                    torn++;
                    best.merge(index, counter - 1, Math::max);
                    continue;
                }
                String why = verify(page, index, counter, seq, want);
                if (why != null) {
                    badCount++;
                    if (bad.size() < InvariantResult.MAX_BAD_PAGES) {
                        bad.add(pfn);
                    }
                    if (firstDetail == null) {
                        firstDetail = "page frame " + pfn + " (memwork page " + index + "): " + why;
                    }
                    continue;
                }
                best.merge(index, counter, Math::max);
            }
        }
        for (long c : best.values()) {
            steps += Math.max(0, c);
        }
        long expect = expectedPages;
        long missing = 0;
        if (expect > 0) {
            for (long i = 0; i < expect; i++) {
                if (!best.containsKey(i)) {
                    missing++;
                }
            }
        }
        boolean holds = runNonce != null && badCount == 0 && missing == 0 && !best.isEmpty();
        String detail;
        if (runNonce == null) {
            detail = "no vmlab-memwork pages found in guest memory";
        } else if (badCount > 0) {
            detail = badCount + " bad page(s); first: " + firstDetail;
        } else if (missing > 0) {
            detail = missing + " of " + expect + " memwork pages not found in guest memory";
        } else {
            detail = best.size() + " memwork pages consistent (" + recognised + " copies, " + torn
                    + " caught mid-update)";
        }
        return new InvariantResult(holds, recognised, steps, holds ? List.of() : bad, detail);
    }

    /** What is wrong with a stable page, or null if it is exact. */
    static String verify(java.nio.ByteBuffer p, long index, long counter, long seq, long nonce) {
        if (seq != 2 * counter) {
            return "seq " + seq + " is not 2 x counter " + counter;
        }
        long check = checkWord(nonce, index, counter);
        if (p.getLong(40) != check) {
            return String.format("check word 0x%016x, expected 0x%016x", p.getLong(40), check);
        }
        if (p.getLong(56) != 0) {
            return "word 7 is not zero";
        }
        for (int j = 8; j < Pages.SIZE / 8; j++) {
            long want = check + j * GOLDEN;
            long got = p.getLong(j * 8);
            if (got != want) {
                return String.format("word %d is 0x%016x, expected 0x%016x", j, got, want);
            }
        }
        return null;
    }

    private static Long majorityNonce(GuestMemory memory, java.nio.ByteBuffer page) {
        Map<Long, Long> counts = new HashMap<>();
        for (long pfn = 0; pfn < memory.pageCount(); pfn++) {
            if (memory.getLong(pfn << Pages.SHIFT) == MAGIC
                    && memory.getLong((pfn << Pages.SHIFT) + 48) == ~memory.getLong((pfn << Pages.SHIFT) + 16)) {
                counts.merge(memory.getLong((pfn << Pages.SHIFT) + 32), 1L, Long::sum);
            }
        }
        return counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
    }
}
