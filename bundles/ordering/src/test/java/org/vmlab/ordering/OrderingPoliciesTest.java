package org.vmlab.ordering;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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

    @Test
    void emptyRoundGivesEmptyOrder() {
        PageSet none = PageSet.empty(64);
        for (OrderingPolicy p : new OrderingPolicy[] {new SequentialOrdering(), new RandomOrdering(), new HotLastOrdering()}) {
            assertEquals(0, p.order(round(none, Map.of(), 5)).length);
        }
    }
}
