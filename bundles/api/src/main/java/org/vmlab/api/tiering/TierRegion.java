package org.vmlab.api.tiering;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Memory allocated from one {@link MemoryTier}, off the Java heap, addressed by byte offset. The
 * accessors are raw: they charge nothing, the code touching the region charges its tier (see
 * {@link MemoryTier}). Words are little-endian. Buffers follow the NIO convention: transfers move
 * all of the buffer's remaining bytes and advance its position. Safe to call from several threads
 * (no ordering between them beyond what the caller's own locks give); every accessor throws
 * {@link IndexOutOfBoundsException} for a range outside the region.
 */
@ProviderType
public interface TierRegion extends AutoCloseable {

    long sizeBytes();

    /** The tier it belongs to. */
    MemoryTier tier();

    long getLong(long offset);

    void putLong(long offset, long value);

    int getInt(long offset);

    void putInt(long offset, int value);

    byte getByte(long offset);

    void putByte(long offset, byte value);

    /** Copies {@code dst.remaining()} bytes starting at {@code offset} into {@code dst}. */
    void read(long offset, ByteBuffer dst);

    /** Copies {@code src.remaining()} bytes from {@code src} to the region at {@code offset}. */
    void write(long offset, ByteBuffer src);

    /** Returns the memory to the tier; idempotent. Accesses afterwards throw IllegalStateException. */
    @Override
    void close();
}
