package org.vmlab.examples.ordering;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.ordering.PageHistory;
import org.vmlab.api.ordering.RoundContext;

class LeastRecentFirstOrderingTest {

    @Test
    void mostRecentlyDirtiedPagesGoLast() {
        Map<Long, Integer> lastDirtied = Map.of(1L, 5, 2L, 0, 4L, 3);
        PageHistory history = new PageHistory() {
            public int syncs() {
                return 6;
            }

            public int dirtyCount(long pfn) {
                return lastDirtied.containsKey(pfn) ? 1 : 0;
            }

            public int lastDirtied(long pfn) {
                return lastDirtied.getOrDefault(pfn, -1);
            }

            public long recentBits(long pfn) {
                return 0;
            }
        };
        RoundContext round = new RoundContext(2, PageSet.of(16, 1, 2, 3, 4), history, 0);
        assertArrayEquals(new long[] {3, 2, 4, 1}, new LeastRecentFirstOrdering().order(round));
    }
}
