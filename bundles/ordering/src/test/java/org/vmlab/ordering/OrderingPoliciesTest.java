package org.vmlab.ordering;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.ordering.OrderingPolicy;
import org.vmlab.api.ordering.PageHistory;
import org.vmlab.api.ordering.RoundContext;

class OrderingPoliciesTest {

    /** A history where only the listed pages were ever dirty, with the given counts. */
    private static PageHistory history(Map<Long, Integer> counts) {
        return new PageHistory() {
            public int syncs() {
                return 8;
            }

            public int dirtyCount(long pfn) {
                return counts.getOrDefault(pfn, 0);
            }

            public int lastDirtied(long pfn) {
                return counts.containsKey(pfn) ? 7 : -1;
            }

            public long recentBits(long pfn) {
                return (1L << dirtyCount(pfn)) - 1;
            }
        };
    }

    private static RoundContext round(PageSet pages, Map<Long, Integer> counts, long seed) {
        return new RoundContext(1, pages, history(counts), seed);
    }

    private static void assertPermutation(PageSet expected, long[] order) {
        long[] sorted = order.clone();
        Arrays.sort(sorted);
        assertArrayEquals(expected.toArray(), sorted, "every page exactly once");
    }

    @Test
    void sequentialIsAscending() {
        PageSet pages = PageSet.of(1000, 900, 3, 77, 500);
        assertArrayEquals(new long[] {3, 77, 500, 900}, new SequentialOrdering().order(round(pages, Map.of(), 1)));
    }

    @Test
    void randomIsAReproduciblePermutation() {
        PageSet pages = PageSet.all(10_000);
        OrderingPolicy policy = new RandomOrdering();
        long[] a = policy.order(round(pages, Map.of(), 42));
        long[] b = policy.order(round(pages, Map.of(), 42));
        long[] c = policy.order(round(pages, Map.of(), 43));
        assertPermutation(pages, a);
        assertArrayEquals(a, b, "same seed, same order");
        assertFalse(Arrays.equals(a, c), "another seed, another order");
        assertFalse(Arrays.equals(a, pages.toArray()), "not left in ascending order");
    }

    @Test
    void hotLastSendsTheHottestPagesLast() {
        PageSet pages = PageSet.of(100, 1, 2, 3, 4, 5);
        long[] order = new HotLastOrdering().order(round(pages, Map.of(2L, 9, 4L, 3, 5L, 1), 0));
        assertArrayEquals(new long[] {1, 3, 5, 4, 2}, order);
    }

    /** A history given as each page's recent bits (bit 0 = latest sync) and total counts. */
    private static PageHistory bits(Map<Long, Long> recent, Map<Long, Integer> counts) {
        return new PageHistory() {
            public int syncs() {
                return 64;
            }

            public int dirtyCount(long pfn) {
                return counts.getOrDefault(pfn, Long.bitCount(recent.getOrDefault(pfn, 0L)));
            }

            public int lastDirtied(long pfn) {
                long b = recent.getOrDefault(pfn, 0L);
                return b == 0 ? -1 : 63 - Long.numberOfTrailingZeros(b);
            }

            public long recentBits(long pfn) {
                return recent.getOrDefault(pfn, 0L);
            }
        };
    }

    @Test
    void updateHistoryPutsRecentlyAndRegularlyUpdatedPagesLast() {
        // 1: never; 2: updated in the latest sync only; 3: in every one of the last 8 syncs;
        // 4: only long ago (8 syncs back) though often in total; 5: two syncs back.
        Map<Long, Long> recent = Map.of(2L, 0b1L, 3L, 0xFFL, 4L, 0b1_0000_0000L, 5L, 0b100L);
        PageSet pages = PageSet.of(100, 1, 2, 3, 4, 5);
        long[] order = new UpdateHistoryOrdering().order(new RoundContext(3, pages, bits(recent, Map.of(4L, 40)), 0));
        assertArrayEquals(new long[] {1, 4, 5, 2, 3}, order);
        // hot-last, counting over the whole history, sends the long-quiet page 4 last instead.
        long[] hotLast = new HotLastOrdering().order(new RoundContext(3, pages, bits(recent, Map.of(4L, 40)), 0));
        assertEquals(4L, hotLast[hotLast.length - 1]);
    }

    @Test
    void updateHistoryIsAPermutationOnLargeRounds() {
        PageSet pages = PageSet.all(50_000);
        java.util.HashMap<Long, Long> recent = new java.util.HashMap<>();
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        for (long p = 0; p < 50_000; p += 3) {
            recent.put(p, r.nextLong());
        }
        long[] order = new UpdateHistoryOrdering().order(new RoundContext(2, pages, bits(recent, Map.of()), 0));
        assertPermutation(pages, order);
        for (int i = 1; i < order.length; i++) {
            int a = UpdateHistoryOrdering.stage(bits(recent, Map.of()), order[i - 1]);
            int b = UpdateHistoryOrdering.stage(bits(recent, Map.of()), order[i]);
            org.junit.jupiter.api.Assertions.assertTrue(a <= b, "stages rise");
        }
    }

    @Test
    void updateHistoryHoldsBackPagesDirtyInEnoughRecentSyncs() {
        // 1: never; 2: latest sync only; 3: 8 of the last 16; 4: once, 20 syncs ago (outside the window).
        Map<Long, Long> recent = Map.of(2L, 0b1L, 3L, 0xAAAAL, 4L, 1L << 20);
        PageSet pages = PageSet.of(100, 1, 2, 3, 4);
        UpdateHistoryOrdering u = new UpdateHistoryOrdering();
        assertEquals(PageSet.of(100, 2, 3), u.holdBack(new RoundContext(3, pages, bits(recent, Map.of()), 0,
                Map.of("hold-syncs", "1"))));
        assertEquals(PageSet.of(100, 3), u.holdBack(new RoundContext(3, pages, bits(recent, Map.of()), 0,
                Map.of("hold-syncs", "8"))));
        assertEquals(PageSet.empty(100), u.holdBack(new RoundContext(3, pages, bits(recent, Map.of()), 0,
                Map.of("hold-syncs", "0"))), "0 holds nothing");
        assertEquals(PageSet.of(100, 2, 3), u.holdBack(new RoundContext(3, pages, bits(recent, Map.of()), 0)),
                "the default holds back what was dirty in one recent sync");
        for (OrderingPolicy p : new OrderingPolicy[] {new SequentialOrdering(), new RandomOrdering(), new HotLastOrdering()}) {
            assertTrue(p.holdBack(new RoundContext(3, pages, bits(recent, Map.of()), 0)).isEmpty(), "only update-history holds");
        }
    }

    @Test
    void emptyRoundGivesEmptyOrder() {
        PageSet none = PageSet.empty(64);
        for (OrderingPolicy p : new OrderingPolicy[] {new SequentialOrdering(), new RandomOrdering(), new HotLastOrdering(), new UpdateHistoryOrdering()}) {
            assertEquals(0, p.order(round(none, Map.of(), 5)).length);
        }
    }
}
