package org.vmlab.storage.block;

import java.io.IOException;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

import org.vmlab.api.VmlabException;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.storage.BlockWriteListener;

/**
 * A block device whose blocks are byte ranges of a {@link ByteRangeStore} in 4 KiB blocks: block
 * I/O checks its arguments and goes through {@link #readAt}/{@link #writeAt}; subclasses call
 * {@link #written} after a write so pre-caching's trackers see it.
 */
public abstract class RangeBlockDevice implements BlockDevice, ByteRangeStore {
    public static final int BLOCK_SIZE = 4096;

    private final CopyOnWriteArrayList<BlockWriteListener> listeners = new CopyOnWriteArrayList<>();

    /** What the device is, for error messages ("image /x.raw"). */
    protected abstract String describe();

    @Override
    public final int blockSize() {
        return BLOCK_SIZE;
    }

    @Override
    public final long blockCount() {
        return size() / BLOCK_SIZE;
    }

    @Override
    public final long sizeBytes() {
        return size();
    }

    /** Tells the write trackers that the bytes {@code [offset, end)} were written. */
    protected final void written(long offset, long end) {
        if (end > offset && !listeners.isEmpty()) {
            long first = offset / BLOCK_SIZE;
            int count = (int) ((end - 1) / BLOCK_SIZE - first + 1);
            for (BlockWriteListener l : listeners) {
                l.written(first, count);
            }
        }
    }

    @Override
    public final AutoCloseable trackWrites(BlockWriteListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return () -> listeners.remove(listener);
    }

    @Override
    public final void read(long block, ByteBuffer dst) {
        Objects.checkIndex(block, blockCount());
        if (dst.remaining() < BLOCK_SIZE) {
            throw new BufferOverflowException();
        }
        try {
            readAt(block * BLOCK_SIZE, dst.slice(dst.position(), BLOCK_SIZE));
        } catch (IOException e) {
            throw new VmlabException("cannot read block " + block + " of " + describe() + ": " + e.getMessage(), e);
        }
        dst.position(dst.position() + BLOCK_SIZE);
    }

    @Override
    public final void write(long block, ByteBuffer src) {
        write(block, 1, src);
    }

    @Override
    public final void write(long block, int blocks, ByteBuffer src) {
        if (block < 0 || blocks < 0 || block > blockCount() - blocks) {
            throw new IndexOutOfBoundsException("blocks [" + block + ", " + (block + blocks) + ") of " + blockCount());
        }
        int bytes = blocks * BLOCK_SIZE;
        if (src.remaining() < bytes) {
            throw new BufferUnderflowException();
        }
        try {
            writeAt(block * BLOCK_SIZE, src.slice(src.position(), bytes));
        } catch (IOException e) {
            throw new VmlabException("cannot write block " + block + " of " + describe() + ": " + e.getMessage(), e);
        }
        src.position(src.position() + bytes);
    }
}
