package org.vmlab.backend.support.memory;

import java.nio.ByteBuffer;

import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

import org.vmlab.api.memory.Pages;

/**
 * The page hash behind {@link org.vmlab.api.memory.GuestMemory#pageHash}: XXH64 with seed 0 over
 * 4 KiB. Hashes cross the wire (verification compares them between nodes), so every backend uses
 * this one function. It is lz4-java's native XXH64, which beat vmlab's earlier Java XXH64 on pages
 * of mapped memory (JMH 505 against 584 ns a page; a 512 MiB qemu dirty-log sync 36 against
 * 38-53 ms; bench/README.md, "page hash"), with the same values.
 */
public final class PageHash {
    private static final XXHash64 XXH64 = XXHashFactory.fastestInstance().hash64();
    /** The hash of a page of zeros. */
    public static final long ZERO = XXH64.hash(new byte[Pages.SIZE], 0, Pages.SIZE, 0);

    private PageHash() {
    }

    /** The hash of the page at {@code offset} of {@code buffer} (its position and limit untouched). */
    public static long of(ByteBuffer buffer, int offset) {
        return XXH64.hash(buffer, offset, Pages.SIZE, 0);
    }
}
