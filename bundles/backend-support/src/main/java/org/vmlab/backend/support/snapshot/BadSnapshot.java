package org.vmlab.backend.support.snapshot;

import java.io.IOException;

/**
 * A snapshot file whose content is wrong; the message is a sentence about the file ("its header is
 * corrupted (checksum mismatch)"). An {@link IOException}, as {@link java.util.zip.ZipException}
 * is, so reading code has one failure path.
 */
public final class BadSnapshot extends IOException {
    private static final long serialVersionUID = 1L;

    public BadSnapshot(String message) {
        super(message);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // a verdict on a file, not a program error: no stack trace to keep
    }
}
