package org.vmlab.backend.support.memory;

import java.nio.ByteBuffer;

import org.vmlab.api.memory.GuestMemory;

/**
 * A backend's {@link GuestMemory} over {@link MappedPages}: the size, and single pages as ranges of
 * one, are the same on every backend; the ranges, words and the dirty log are each backend's own.
 */
public abstract class MappedGuestMemory implements GuestMemory {
    /** The mapped RAM; subclasses add their checks and marks around each access. */
    protected final MappedPages ram;

    protected MappedGuestMemory(MappedPages ram) {
        this.ram = ram;
    }

    @Override
    public final long sizeBytes() {
        return ram.sizeBytes();
    }

    @Override
    public final long pageCount() {
        return ram.pageCount();
    }

    @Override
    public final void readPage(long pfn, ByteBuffer dst) {
        read(pfn, 1, dst);
    }

    @Override
    public final void writePage(long pfn, ByteBuffer src) {
        write(pfn, 1, src);
    }

    @Override
    public long[] zeroBitmap(long from, long to) {
        return ram.zeroBitmap(from, to);
    }
}
