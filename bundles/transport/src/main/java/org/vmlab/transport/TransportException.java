package org.vmlab.transport;

import java.io.IOException;

/** The peer broke the protocol, failed authentication, stopped answering or closed the link. */
public class TransportException extends IOException {
    private static final long serialVersionUID = 1L;

    public TransportException(String message) {
        super(message);
    }

    public TransportException(String message, Throwable cause) {
        super(message, cause);
    }
}
