package org.vmlab.storage.block;

import java.io.IOException;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.vmlab.api.VmlabException;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.storage.BlockWriteListener;

/**
 * A raw image file as a block device and as a byte range, with positional {@link FileChannel} I/O
 * (thread-safe). Bytes past the file's end read as zeros, so a sparse or short image works.
 */
public final class FileBlockDevice implements BlockDevice, ByteRangeStore {
    public static final int BLOCK_SIZE = 4096;

    private final Path path;
    private final long size;
    private final boolean readOnly;
    private final FileChannel channel;
    private final CopyOnWriteArrayList<BlockWriteListener> listeners = new CopyOnWriteArrayList<>();

    private FileBlockDevice(Path path, long size, boolean readOnly, FileChannel channel) {
        this.path = path;
        this.size = size;
        this.readOnly = readOnly;
        this.channel = channel;
    }

    /**
     * Opens {@code path}; with {@code createSize > 0} creates it (sparse) or grows it to that size.
     * The device's size is the file's size rounded down to whole blocks.
     */
    public static FileBlockDevice open(Path path, long createSize, boolean readOnly) {
        try {
            Set<StandardOpenOption> opts = readOnly ? EnumSet.of(StandardOpenOption.READ)
                    : EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE);
            if (createSize > 0 && !readOnly) {
                opts.add(StandardOpenOption.CREATE);
            }
            FileChannel ch = FileChannel.open(path, opts);
            if (createSize > 0 && !readOnly && ch.size() < createSize) {
                ch.write(ByteBuffer.allocate(1), createSize - 1);
            }
            long size = ch.size() / BLOCK_SIZE * BLOCK_SIZE;
            return new FileBlockDevice(path, size, readOnly, ch);
        } catch (IOException e) {
            throw new VmlabException("cannot open disk image " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public int blockSize() {
        return BLOCK_SIZE;
    }

    @Override
    public long blockCount() {
        return size / BLOCK_SIZE;
    }

    @Override
    public long sizeBytes() {
        return size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void readAt(long offset, ByteBuffer dst) throws IOException {
        long pos = offset;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) {
                while (dst.hasRemaining()) {
                    dst.put((byte) 0);
                }
                return;
            }
            pos += n;
        }
    }

    @Override
    public void writeAt(long offset, ByteBuffer src) throws IOException {
        if (readOnly) {
            throw new UnsupportedOperationException(path + " is read-only");
        }
        long pos = offset;
        while (src.hasRemaining()) {
            pos += channel.write(src, pos);
        }
        if (pos > offset && !listeners.isEmpty()) {
            long first = offset / BLOCK_SIZE;
            int count = (int) ((pos - 1) / BLOCK_SIZE - first + 1);
            for (BlockWriteListener l : listeners) {
                l.written(first, count);
            }
        }
    }

    @Override
    public AutoCloseable trackWrites(BlockWriteListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return () -> listeners.remove(listener);
    }

    @Override
    public void read(long block, ByteBuffer dst) {
        Objects.checkIndex(block, blockCount());
        if (dst.remaining() < BLOCK_SIZE) {
            throw new BufferOverflowException();
        }
        ByteBuffer d = dst.slice(dst.position(), BLOCK_SIZE);
        try {
            readAt(block * BLOCK_SIZE, d);
        } catch (IOException e) {
            throw new VmlabException("cannot read block " + block + " of " + path + ": " + e.getMessage(), e);
        }
        dst.position(dst.position() + BLOCK_SIZE);
    }

    @Override
    public void write(long block, ByteBuffer src) {
        write(block, 1, src);
    }

    @Override
    public void write(long block, int blocks, ByteBuffer src) {
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
            throw new VmlabException("cannot write block " + block + " of " + path + ": " + e.getMessage(), e);
        }
        src.position(src.position() + bytes);
    }

    @Override
    public void flush() {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new VmlabException("cannot flush " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Path> path() {
        return Optional.of(path);
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public void close() {
        try {
            if (channel.isOpen() && !readOnly) {
                channel.force(false);
            }
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
