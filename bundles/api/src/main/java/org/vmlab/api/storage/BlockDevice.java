package org.vmlab.api.storage;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A disk as fixed-size blocks (a VM's image file, an NBD export). Buffers follow the NIO
 * convention: transfers start at the buffer's position and advance it. Thread-safe; failures of
 * the underlying storage are thrown as {@link org.vmlab.api.VmlabException}.
 */
@ProviderType
public interface BlockDevice extends AutoCloseable {

    /** Bytes per block: 4096, the guest page size, so a cached page holds exactly one block. */
    int blockSize();

    long blockCount();

    /** {@code blockCount() * blockSize()}. */
    long sizeBytes();

    /**
     * Copies one block into {@code dst}.
     *
     * @throws IndexOutOfBoundsException        if {@code block} is not in
     *                                          {@code [0, blockCount())}
     * @throws java.nio.BufferOverflowException if {@code dst} has less than a block remaining
     */
    void read(long block, ByteBuffer dst);

    /**
     * Replaces one block with the next {@link #blockSize()} bytes of {@code src}.
     *
     * @throws IndexOutOfBoundsException         if {@code block} is not in
     *                                           {@code [0, blockCount())}
     * @throws java.nio.BufferUnderflowException if {@code src} has less than a block remaining
     * @throws UnsupportedOperationException     if the device is read-only
     */
    void write(long block, ByteBuffer src);

    /**
     * Replaces {@code blocks} consecutive blocks from {@code block} with the next bytes of
     * {@code src}: one large write where the device can do it (filling a data set).
     *
     * @throws IndexOutOfBoundsException         if a block is not in {@code [0, blockCount())}
     * @throws java.nio.BufferUnderflowException if {@code src} has less than that remaining
     */
    default void write(long block, int blocks, ByteBuffer src) {
        for (int i = 0; i < blocks; i++) {
            write(block + i, src);
        }
    }

    /** Makes every completed write durable. */
    void flush();

    /** The file behind the device, if it is one. */
    Optional<Path> path();

    boolean isReadOnly();

    /**
     * Calls {@code listener} after every completed write until the returned handle is closed, so
     * pre-caching sees each block the VM writes.
     *
     * @throws UnsupportedOperationException if this device cannot report its writes
     * @since 1.2
     */
    default AutoCloseable trackWrites(BlockWriteListener listener) {
        throw new UnsupportedOperationException("this disk does not report its writes");
    }

    /** Flushes and releases the device; idempotent. */
    @Override
    void close();
}
