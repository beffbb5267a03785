package org.vmlab.api.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.LongStream;

import org.junit.jupiter.api.Test;

class PageSetTest {

    @Test
    void allWithCapacityNotAMultipleOf64() {
        PageSet all = PageSet.all(100);
        assertEquals(100, all.size());
        assertEquals(100, all.capacity());
        assertArrayEquals(LongStream.range(0, 100).toArray(), all.toArray());
        assertTrue(all.contains(99));
        assertFalse(all.contains(100));
        assertFalse(all.contains(-1));
        long[] bitmap = all.toBitmap();
        assertEquals(2, bitmap.length);
        assertEquals(-1L, bitmap[0]);
        assertEquals((1L << 36) - 1, bitmap[1]);
    }

    @Test
    void allOfExactMultipleAndZero() {
        assertEquals(128, PageSet.all(128).size());
        assertEquals(0, PageSet.all(0).size());
        assertTrue(PageSet.empty(0).isEmpty());
        assertEquals(1, PageSet.all(1).size());
    }

    @Test
    void ofBitmapClearsBitsBeyondCapacity() {
        PageSet set = PageSet.ofBitmap(70, new long[] {1L, -1L, -1L});
        assertEquals(1 + 6, set.size());
        assertArrayEquals(new long[] {0, 64, 65, 66, 67, 68, 69}, set.toArray());
        assertEquals(PageSet.of(70, 0, 64, 65, 66, 67, 68, 69), set);
        assertArrayEquals(new long[] {1L, 63L}, set.toBitmap());
    }

    @Test
    void ofBitmapCopiesAndPadsShortArrays() {
        long[] bitmap = {0b101L};
        PageSet set = PageSet.ofBitmap(200, bitmap);
        bitmap[0] = 0;
        assertArrayEquals(new long[] {0, 2}, set.toArray());
        assertEquals(4, set.toBitmap().length);
    }

    @Test
    void unionAndMinus() {
        PageSet a = PageSet.of(130, 0, 5, 63, 64, 129);
        PageSet b = PageSet.of(130, 5, 6, 129);
        assertArrayEquals(new long[] {0, 5, 6, 63, 64, 129}, a.union(b).toArray());
        assertArrayEquals(new long[] {0, 63, 64}, a.minus(b).toArray());
        assertArrayEquals(new long[] {6}, b.minus(a).toArray());
        assertEquals(a, a.union(PageSet.empty(130)));
        assertTrue(a.minus(PageSet.all(130)).isEmpty());
        assertEquals(PageSet.all(130), a.union(PageSet.all(130)));
    }

    @Test
    void combiningDifferentCapacitiesIsRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> PageSet.of(10, 1).union(PageSet.of(11, 1)));
        assertThrows(IllegalArgumentException.class,
                () -> PageSet.of(10, 1).minus(PageSet.of(11, 1)));
    }

    @Test
    void ofRejectsPagesOutOfRange() {
        assertThrows(IndexOutOfBoundsException.class, () -> PageSet.of(10, 10));
        assertThrows(IndexOutOfBoundsException.class, () -> PageSet.of(10, -1));
        assertThrows(IllegalArgumentException.class, () -> PageSet.empty(-1));
    }

    @Test
    void toArrayForEachAndStreamAgree() {
        PageSet set = PageSet.of(1000, 999, 3, 500, 64, 3);
        assertEquals(4, set.size());
        assertArrayEquals(new long[] {3, 64, 500, 999}, set.toArray());
        assertArrayEquals(set.toArray(), set.stream().toArray());
        StringBuilder seen = new StringBuilder();
        set.forEach(p -> seen.append(p).append(' '));
        assertEquals("3 64 500 999 ", seen.toString());
    }

    @Test
    void equalsAndHashCode() {
        assertEquals(PageSet.of(100, 1, 2), PageSet.of(100, 2, 1));
        assertEquals(PageSet.of(100, 1, 2).hashCode(), PageSet.of(100, 2, 1).hashCode());
        assertNotEquals(PageSet.of(100, 1), PageSet.of(101, 1));
        assertNotEquals(PageSet.of(100, 1), PageSet.of(100, 2));
    }
}
