package org.vmlab.storage.nbd;

import java.io.IOException;

/** A request the server answered with an NBD error, or a connection that failed. */
public final class NbdException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int error;

    public NbdException(int error, String message) {
        super(message);
        this.error = error;
    }

    public NbdException(String message, Throwable cause) {
        super(message, cause);
        this.error = Nbd.EIO;
    }

    /** The NBD error value ({@link Nbd#EINVAL}, ...). */
    public int error() {
        return error;
    }
}
