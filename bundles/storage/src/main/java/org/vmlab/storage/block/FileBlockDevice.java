package org.vmlab.storage.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

import org.vmlab.api.VmlabException;

/**
 * A raw image file as a block device and as a byte range, with positional {@link FileChannel} I/O
 * (thread-safe). Bytes past the file's end read as zeros, so a sparse or short image works.
 */
public final class FileBlockDevice extends RangeBlockDevice {

    private final Path path;
    private final long size;
    private final boolean readOnly;
    private final FileChannel channel;

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
        written(offset, pos);
    }

    @Override
    protected String describe() {
        return "image " + path;
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
