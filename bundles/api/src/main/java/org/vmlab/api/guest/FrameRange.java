package org.vmlab.api.guest;

/**
 * Contiguous guest page frames {@code [first, first + count)}.
 *
 * @param first the first page frame number
 * @param count the number of frames, at least 1
 */
public record FrameRange(long first, long count) {
    public FrameRange {
        if (first < 0) {
            throw new IllegalArgumentException("first frame must be >= 0: " + first);
        }
        if (count < 1) {
            throw new IllegalArgumentException("frame count must be >= 1: " + count);
        }
    }

    /** One past the last frame. */
    public long end() {
        return first + count;
    }

    public boolean contains(long pfn) {
        return pfn >= first && pfn < end();
    }
}
