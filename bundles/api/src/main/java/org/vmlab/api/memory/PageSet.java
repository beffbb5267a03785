package org.vmlab.api.memory;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.LongConsumer;
import java.util.stream.LongStream;

/**
 * An immutable set of page frame numbers in {@code [0, capacity)}, held as a bitmap. It is what a
 * dirty-log sync returns and what an ordering policy is asked to order.
 */
public final class PageSet {
    private final long capacity;
    private final long[] words;
    private final long count;

    private PageSet(long capacity, long[] words) {
        this.capacity = capacity;
        this.words = words;
        long c = 0;
        for (long w : words) {
            c += Long.bitCount(w);
        }
        this.count = c;
    }

    /** Wraps a bitmap (bit {@code pfn % 64} of word {@code pfn / 64}); the array is copied. */
    public static PageSet ofBitmap(long capacity, long[] bitmap) {
        requireCapacity(capacity);
        long[] copy = Arrays.copyOf(bitmap, wordsFor(capacity));
        clearBeyond(capacity, copy);
        return new PageSet(capacity, copy);
    }

    public static PageSet empty(long capacity) {
        requireCapacity(capacity);
        return new PageSet(capacity, new long[wordsFor(capacity)]);
    }

    /** All pages {@code [0, capacity)}. */
    public static PageSet all(long capacity) {
        requireCapacity(capacity);
        long[] words = new long[wordsFor(capacity)];
        Arrays.fill(words, -1L);
        clearBeyond(capacity, words);
        return new PageSet(capacity, words);
    }

    public static PageSet of(long capacity, long... pfns) {
        requireCapacity(capacity);
        long[] words = new long[wordsFor(capacity)];
        for (long pfn : pfns) {
            Objects.checkIndex(pfn, capacity);
            words[(int) (pfn >>> 6)] |= 1L << pfn;
        }
        return new PageSet(capacity, words);
    }

    /** The number of page frames this set can address (the guest's page count). */
    public long capacity() {
        return capacity;
    }

    /** The number of pages in the set. */
    public long size() {
        return count;
    }

    public boolean isEmpty() {
        return count == 0;
    }

    public boolean contains(long pfn) {
        return pfn >= 0 && pfn < capacity && (words[(int) (pfn >>> 6)] & (1L << pfn)) != 0;
    }

    /** Calls {@code action} for every page in ascending order. */
    public void forEach(LongConsumer action) {
        for (int i = 0; i < words.length; i++) {
            long w = words[i];
            while (w != 0) {
                action.accept(((long) i << 6) + Long.numberOfTrailingZeros(w));
                w &= w - 1;
            }
        }
    }

    /** The pages in ascending order. */
    public long[] toArray() {
        long[] out = new long[Math.toIntExact(count)];
        int[] n = {0};
        forEach(pfn -> out[n[0]++] = pfn);
        return out;
    }

    public LongStream stream() {
        return Arrays.stream(toArray());
    }

    public PageSet union(PageSet other) {
        return combine(other, false);
    }

    public PageSet minus(PageSet other) {
        return combine(other, true);
    }

    /** A copy of the bitmap, in the layout {@link #ofBitmap} takes. */
    public long[] toBitmap() {
        return words.clone();
    }

    private PageSet combine(PageSet other, boolean subtract) {
        if (other.capacity != capacity) {
            throw new IllegalArgumentException(
                    "page sets of different capacity: " + capacity + " and " + other.capacity);
        }
        long[] out = new long[words.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = subtract ? words[i] & ~other.words[i] : words[i] | other.words[i];
        }
        return new PageSet(capacity, out);
    }

    private static int wordsFor(long capacity) {
        return Math.toIntExact((capacity + 63) >>> 6);
    }

    private static void requireCapacity(long capacity) {
        if (capacity < 0 || capacity > (long) Integer.MAX_VALUE * 64) {
            throw new IllegalArgumentException("page set capacity out of range: " + capacity);
        }
    }

    private static void clearBeyond(long capacity, long[] words) {
        int tail = (int) (capacity & 63);
        if (tail != 0) {
            words[words.length - 1] &= (1L << tail) - 1;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PageSet p && p.capacity == capacity && Arrays.equals(p.words, words);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(capacity) * 31 + Arrays.hashCode(words);
    }

    @Override
    public String toString() {
        return "PageSet[" + count + " of " + capacity + "]";
    }
}
