package org.vmlab.api.guest;

import java.util.Objects;

/**
 * One page-cache event in the guest.
 *
 * @param kind     what happened
 * @param block    the disk block concerned, {@code >= 0}
 * @param pfn      the page frame caching it, {@code >= 0}
 * @param nanoTime when, on the {@link System#nanoTime()} clock of the host JVM
 */
public record IoEvent(Kind kind, long block, long pfn, long nanoTime) {

    /** What happened to a cached block. */
    public enum Kind {
        /** The block was read from disk into the frame, which is now clean. */
        READ_MISS,
        /** A read was served from the frame; nothing changed. */
        READ_HIT,
        /** The guest wrote the frame; it no longer equals its block on disk. */
        WRITE,
        /** The frame was written back to its block; it is clean again. */
        WRITEBACK,
        /** The frame no longer caches the block and may be reused for anything. */
        EVICT
    }

    public IoEvent {
        Objects.requireNonNull(kind, "kind");
        if (block < 0) {
            throw new IllegalArgumentException("block must be >= 0: " + block);
        }
        if (pfn < 0) {
            throw new IllegalArgumentException("pfn must be >= 0: " + pfn);
        }
    }
}
