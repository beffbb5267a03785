package org.vmlab.api.memory;

/** Page geometry shared by every backend. */
public final class Pages {
    /** Guest page size in bytes. */
    public static final int SIZE = 4096;
    /** log2 of {@link #SIZE}. */
    public static final int SHIFT = 12;

    private Pages() {
    }

    /** Number of pages needed to hold {@code bytes}, rounded up. */
    public static long count(long bytes) {
        return (bytes + SIZE - 1) >>> SHIFT;
    }

    /** Byte offset of a page frame. */
    public static long offset(long pfn) {
        return pfn << SHIFT;
    }
}
