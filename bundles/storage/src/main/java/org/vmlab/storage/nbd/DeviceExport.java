package org.vmlab.storage.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.vmlab.storage.block.BlockBitmap;
import org.vmlab.storage.block.ByteRangeStore;
import org.vmlab.storage.nbd.NbdMessages.Extent;

/**
 * An export over a disk's byte ranges. {@code base:allocation} reports blocks that read as zeros
 * with {@code NBD_STATE_ZERO} (Java cannot see a file's holes, so nothing is a hole);
 * {@code vmlab:cached} reports the cache bitmap (every block, for a disk without one). Blocks the
 * cache does not hold are reported as data without reading them, so asking for status never
 * fetches from an origin.
 *
 * <p>A cache export (a backup site's copy, filled by pre-caching) keeps its bitmap current: a
 * whole-block write sets the block's bit, a trim clears the bits of the blocks it touches (the
 * sender's way to say "this block changed at the source, do not trust your copy").
 */
public final class DeviceExport implements NbdExport {
    private static final int BLOCK = 4096;
    /** At most this much is scanned for zeros per base:allocation request. */
    private static final long ALLOCATION_SCAN = 16L << 20;
    private static final int ZERO_CHUNK = 1 << 20;

    private final String name;
    private final String description;
    private final ByteRangeStore store;
    private final BlockBitmap cached;
    private final boolean cacheTarget;

    /** An export of a whole disk, or of one whose {@code cached} blocks someone else keeps track of. */
    public DeviceExport(String name, String description, ByteRangeStore store, BlockBitmap cached) {
        this(name, description, store, cached, false);
    }

    /**
     * @param cached      the blocks held locally, or {@code null} when all are
     * @param cacheTarget whether writes and trims keep {@code cached} current (a backup site's copy)
     */
    public DeviceExport(String name, String description, ByteRangeStore store, BlockBitmap cached,
                        boolean cacheTarget) {
        this.name = Objects.requireNonNull(name, "name");
        this.description = description == null ? "" : description;
        this.store = Objects.requireNonNull(store, "store");
        this.cached = cached;
        this.cacheTarget = cacheTarget && cached != null;
    }

    /** The cache bitmap, if the export has one. */
    public java.util.Optional<BlockBitmap> cacheBitmap() {
        return java.util.Optional.ofNullable(cached);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public long size() {
        return store.size();
    }

    @Override
    public boolean isReadOnly() {
        return store.isReadOnly();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        store.readAt(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        long end = offset + src.remaining();
        store.writeAt(offset, src);
        if (fua) {
            store.flush();
        }
        if (cacheTarget) {
            cached.setRange((offset + BLOCK - 1) / BLOCK, end / BLOCK);
        }
    }

    @Override
    public void flush() throws IOException {
        store.flush();
    }

    @Override
    public void trim(long offset, long length) {
        // Advisory: the content stays as it was, which the spec allows; a cache forgets the blocks.
        if (cacheTarget && length > 0) {
            cached.clearRange(offset / BLOCK, Math.min(cached.size(), (offset + length + BLOCK - 1) / BLOCK));
        }
    }

    @Override
    public void writeZeroes(long offset, long length, boolean fua) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(ZERO_CHUNK, Math.max(1, length)));
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), end - pos));
            store.writeAt(pos, zeros);
            pos += zeros.limit();
        }
        if (fua) {
            store.flush();
        }
    }

    @Override
    public List<String> contexts() {
        return List.of(Nbd.BASE_ALLOCATION, Nbd.VMLAB_CACHED);
    }

    @Override
    public List<Extent> status(String context, long offset, long length, boolean one) throws IOException {
        long end = offset + Math.min(length, context.equals(Nbd.BASE_ALLOCATION) ? ALLOCATION_SCAN : 1L << 30);
        end = Math.min(end, size());
        List<Extent> out = new ArrayList<>();
        long runStart = offset;
        int runState = -1;
        ByteBuffer block = ByteBuffer.allocate(BLOCK);
        long pos = offset;
        while (pos < end) {
            long blockEnd = Math.min(end, (pos / BLOCK + 1) * BLOCK);
            int state = context.equals(Nbd.BASE_ALLOCATION) ? allocation(pos / BLOCK, block) : cachedState(pos / BLOCK);
            if (state != runState) {
                if (runState >= 0) {
                    out.add(new Extent((int) (pos - runStart), runState));
                    if (one) {
                        return out;
                    }
                }
                runStart = pos;
                runState = state;
            }
            pos = blockEnd;
        }
        if (runState < 0) {
            runState = 0;
        }
        out.add(new Extent((int) Math.max(1, pos - runStart), runState));
        return out;
    }

    private int cachedState(long block) {
        return cached == null || block >= cached.size() || cached.get(block) ? Nbd.STATE_CACHED : 0;
    }

    private int allocation(long blockNo, ByteBuffer block) throws IOException {
        if (cached != null && blockNo < cached.size() && !cached.get(blockNo)) {
            return 0;
        }
        long start = blockNo * BLOCK;
        block.clear().limit((int) Math.min(BLOCK, size() - start));
        store.readAt(start, block);
        block.flip();
        while (block.remaining() >= 8) {
            if (block.getLong() != 0) {
                return 0;
            }
        }
        while (block.hasRemaining()) {
            if (block.get() != 0) {
                return 0;
            }
        }
        return Nbd.STATE_ZERO;
    }
}
