package org.vmlab.api.tiering;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Memory allocated from one tier; accesses cost what the tier's model says. Implemented by the tier
 * that returned it, hence a consumer type. Buffers follow the NIO convention: transfers move all
 * of the buffer's remaining bytes and advance its position. Thread-safe.
 */
@ConsumerType
public interface TierRegion extends AutoCloseable {

    long sizeBytes();

    /**
     * Copies {@code dst.remaining()} bytes starting at {@code offset} into {@code dst}.
     *
     * @throws IndexOutOfBoundsException if the range is not inside the region
     */
    void read(long offset, ByteBuffer dst);

    /**
     * Copies {@code src.remaining()} bytes from {@code src} to the region at {@code offset}.
     *
     * @throws IndexOutOfBoundsException if the range is not inside the region
     */
    void write(long offset, ByteBuffer src);

    /** The model of the tier it belongs to. */
    TierModel model();

    /** Returns the memory to the tier; idempotent. Accesses afterwards fail. */
    @Override
    void close();
}
