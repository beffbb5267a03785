package org.vmlab.storage.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import org.vmlab.storage.nbd.NbdMessages.Extent;

/**
 * What an NBD server serves under one name. Offsets and lengths are bytes and always inside
 * {@link #size()} (the server checks before calling). Thread-safe: several connections may use
 * one export ({@code NBD_FLAG_CAN_MULTI_CONN}).
 */
public interface NbdExport {

    String name();

    String description();

    long size();

    boolean isReadOnly();

    /** Fills {@code dst}'s remaining bytes from {@code offset}. */
    void read(long offset, ByteBuffer dst) throws IOException;

    /** Writes {@code src}'s remaining bytes at {@code offset}; with {@code fua}, durably before it returns. */
    void write(long offset, ByteBuffer src, boolean fua) throws IOException;

    void flush() throws IOException;

    /** A hint that the range's content is no longer needed; may do nothing. */
    void trim(long offset, long length) throws IOException;

    /** Makes the range read as zeros. */
    void writeZeroes(long offset, long length, boolean fua) throws IOException;

    /** The meta contexts this export answers block status for. */
    List<String> contexts();

    /**
     * Extents of {@code context} from {@code offset}, covering at most {@code length} bytes (at
     * least one extent); with {@code one} just the first.
     */
    List<Extent> status(String context, long offset, long length, boolean one) throws IOException;
}
