package org.vmlab.api.guest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.vmlab.api.memory.PageSet;

class PageCacheMapTest {

    @Test
    void looksUpUnsortedInput() {
        PageCacheMap map = PageCacheMap.of(new long[] {30, 10, 20}, new long[] {300, 100, 200});
        assertEquals(3, map.size());
        assertEquals(OptionalLong.of(100), map.blockOf(10));
        assertEquals(OptionalLong.of(200), map.blockOf(20));
        assertEquals(OptionalLong.of(300), map.blockOf(30));
        assertEquals(OptionalLong.empty(), map.blockOf(15));
        assertEquals(OptionalLong.empty(), map.blockOf(-1));
        assertTrue(map.contains(30));
        assertFalse(map.contains(31));
        assertArrayEquals(new long[] {10, 20, 30}, map.pfns());
        assertArrayEquals(new long[] {100, 200, 300}, map.blocks());
    }

    @Test
    void copiesItsInput() {
        long[] pfns = {1, 2};
        long[] blocks = {7, 8};
        PageCacheMap map = PageCacheMap.of(pfns, blocks);
        pfns[0] = 5;
        blocks[0] = 9;
        map.pfns()[1] = 42;
        assertEquals(OptionalLong.of(7), map.blockOf(1));
        assertArrayEquals(new long[] {1, 2}, map.pfns());
    }

    @Test
    void sortsLargeRandomInput() {
        Random random = new Random(1);
        int n = 10_000;
        long[] pfns = new long[n];
        long[] blocks = new long[n];
        for (int i = 0; i < n; i++) {
            pfns[i] = i * 3L;
            blocks[i] = i * 3L + 1_000_000;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long t = pfns[i];
            pfns[i] = pfns[j];
            pfns[j] = t;
            t = blocks[i];
            blocks[i] = blocks[j];
            blocks[j] = t;
        }
        PageCacheMap map = PageCacheMap.of(pfns, blocks);
        assertEquals(n, map.size());
        long[] sorted = map.pfns();
        for (int i = 0; i < n; i++) {
            assertEquals(i * 3L, sorted[i]);
            assertEquals(OptionalLong.of(i * 3L + 1_000_000), map.blockOf(i * 3L));
            assertFalse(map.contains(i * 3L + 1));
        }
    }

    @Test
    void rejectsDuplicateFrames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PageCacheMap.of(new long[] {5, 3, 5}, new long[] {1, 2, 3}));
        assertTrue(e.getMessage().contains("page frame 5 appears twice"), e.getMessage());
    }

    @Test
    void allowsOneBlockInTwoFrames() {
        assertEquals(2, PageCacheMap.of(new long[] {1, 2}, new long[] {9, 9}).size());
    }

    @Test
    void rejectsLengthMismatchAndNegatives() {
        assertThrows(IllegalArgumentException.class,
                () -> PageCacheMap.of(new long[] {1, 2}, new long[] {1}));
        assertThrows(IllegalArgumentException.class,
                () -> PageCacheMap.of(new long[] {-1}, new long[] {1}));
        assertThrows(IllegalArgumentException.class,
                () -> PageCacheMap.of(new long[] {1}, new long[] {-1}));
    }

    @Test
    void framesAsPageSet() {
        PageCacheMap map = PageCacheMap.of(new long[] {99, 0, 64}, new long[] {1, 2, 3});
        PageSet frames = map.frames(100);
        assertEquals(PageSet.of(100, 0, 64, 99), frames);
        assertThrows(IllegalArgumentException.class, () -> map.frames(99));
        assertEquals(PageSet.empty(10), PageCacheMap.empty().frames(10));
    }

    @Test
    void forEachInFrameOrder() {
        PageCacheMap map = PageCacheMap.of(new long[] {3, 1, 2}, new long[] {30, 10, 20});
        List<String> seen = new ArrayList<>();
        map.forEach((pfn, block) -> seen.add(pfn + "->" + block));
        assertEquals(List.of("1->10", "2->20", "3->30"), seen);
    }

    @Test
    void equalityIsByContent() {
        PageCacheMap a = PageCacheMap.of(new long[] {2, 1}, new long[] {20, 10});
        PageCacheMap b = PageCacheMap.of(new long[] {1, 2}, new long[] {10, 20});
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, PageCacheMap.of(new long[] {1, 2}, new long[] {10, 21}));
        assertEquals(PageCacheMap.empty(), PageCacheMap.of(new long[0], new long[0]));
        assertTrue(PageCacheMap.empty().isEmpty());
    }
}
