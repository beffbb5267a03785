package org.vmlab.storage.block;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Byte-addressed access to a disk, which NBD requests need (their offsets and lengths are bytes,
 * not blocks). Transfers take the buffer's remaining bytes and advance its position.
 */
public interface ByteRangeStore {

    long size();

    void readAt(long offset, ByteBuffer dst) throws IOException;

    void writeAt(long offset, ByteBuffer src) throws IOException;

    void flush() throws IOException;

    boolean isReadOnly();
}
