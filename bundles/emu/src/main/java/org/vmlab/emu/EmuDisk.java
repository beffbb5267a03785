package org.vmlab.emu;

import java.io.IOException;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.vmlab.api.VmlabException;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.storage.BlockWriteListener;

/**
 * A VM's disk: a raw image file in 4 KiB blocks, read and written with positional
 * {@link FileChannel} I/O (thread-safe). Blocks beyond the file's end (a sparse image that was
 * never written there) read as zeros.
 */
public final class EmuDisk implements BlockDevice {
    public static final int BLOCK_SIZE = Pages.SIZE;

    private final Path path;
    private final long blocks;
    private final FileChannel channel;
    /** Pre-caching's write trackers; empty (and free) unless one runs. */
    private final CopyOnWriteArrayList<BlockWriteListener> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private EmuDisk(Path path, long blocks, FileChannel channel) {
        this.path = path;
        this.blocks = blocks;
        this.channel = channel;
    }

    /** Opens an existing image of {@code blocks} blocks for reading and writing. */
    static EmuDisk open(Path path, long blocks) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new EmuDisk(path, blocks, ch);
    }

    @Override
    public int blockSize() {
        return BLOCK_SIZE;
    }

    @Override
    public long blockCount() {
        return blocks;
    }

    @Override
    public long sizeBytes() {
        return blocks * BLOCK_SIZE;
    }

    @Override
    public void read(long block, ByteBuffer dst) {
        Objects.checkIndex(block, blocks);
        if (dst.remaining() < BLOCK_SIZE) {
            throw new BufferOverflowException();
        }
        int start = dst.position();
        ByteBuffer d = dst.duplicate();
        d.limit(start + BLOCK_SIZE);
        long pos = block * BLOCK_SIZE;
        try {
            while (d.hasRemaining()) {
                int n = channel.read(d, pos + (d.position() - start));
                if (n < 0) {
                    while (d.hasRemaining()) {
                        d.put((byte) 0);
                    }
                }
            }
        } catch (IOException e) {
            throw failure("read block " + block, e);
        }
        dst.position(start + BLOCK_SIZE);
    }

    @Override
    public void write(long block, ByteBuffer src) {
        Objects.checkIndex(block, blocks);
        if (src.remaining() < BLOCK_SIZE) {
            throw new BufferUnderflowException();
        }
        int start = src.position();
        ByteBuffer s = src.duplicate();
        s.limit(start + BLOCK_SIZE);
        long pos = block * BLOCK_SIZE;
        try {
            while (s.hasRemaining()) {
                channel.write(s, pos + (s.position() - start));
            }
        } catch (IOException e) {
            throw failure("write block " + block, e);
        }
        src.position(start + BLOCK_SIZE);
        written(block, 1);
    }

    private void written(long block, int count) {
        for (BlockWriteListener l : listeners) {
            l.written(block, count);
        }
    }

    @Override
    public AutoCloseable trackWrites(BlockWriteListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return () -> listeners.remove(listener);
    }

    @Override
    public void write(long block, int count, ByteBuffer src) {
        if (block < 0 || count < 0 || block > blocks - count) {
            throw new IndexOutOfBoundsException("blocks [" + block + ", " + (block + count) + ") of " + blocks);
        }
        long bytes = (long) count * BLOCK_SIZE;
        if (src.remaining() < bytes) {
            throw new BufferUnderflowException();
        }
        ByteBuffer s = src.slice(src.position(), (int) bytes);
        long pos = block * BLOCK_SIZE;
        try {
            while (s.hasRemaining()) {
                pos += channel.write(s, pos);
            }
        } catch (IOException e) {
            throw failure("write blocks " + block + "+" + count, e);
        }
        src.position(src.position() + (int) bytes);
        written(block, count);
    }

    @Override
    public void flush() {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw failure("flush", e);
        }
    }

    private VmlabException failure(String what, IOException e) {
        if (closed || e instanceof ClosedChannelException) {
            return new VmlabException("cannot " + what + " of disk image " + path
                    + ": the disk is closed (VM destroyed)", e);
        }
        return new VmlabException("cannot " + what + " of disk image " + path + ": " + e, e);
    }

    @Override
    public Optional<Path> path() {
        return Optional.of(path);
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (channel.isOpen()) {
                channel.force(false);
            }
        } catch (IOException ignored) {
            // closing anyway
        } finally {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing more to do
            }
        }
    }
}
