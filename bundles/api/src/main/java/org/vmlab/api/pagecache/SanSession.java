package org.vmlab.api.pagecache;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One client's connection to {@link SharedStorage}: reads blocks of one disk image over the SAN
 * path. Thread-safe; requests from several threads share the path's rate and queue depth.
 *
 * @since 1.1
 */
@ProviderType
public interface SanSession extends AutoCloseable {

    /**
     * Reads the 4 KiB blocks {@code blocks[from..to)} into {@code dst} (block {@code blocks[i]} at
     * {@code (i - from) * 4096} from its position), adjacent blocks in one request, up to the
     * model's queue depth in flight.
     *
     * @throws org.vmlab.api.VmlabException if the endpoint fails or a block is outside the image
     */
    void read(long[] blocks, int from, int to, ByteBuffer dst);

    /** Bytes of block data read so far. */
    long bytesRead();

    /** Requests served so far. */
    long requests();

    @Override
    void close();
}
