package org.vmlab.api;

/**
 * A failure a user should read: its message is one sentence that says what went wrong (and, where
 * it helps, what to do), with no stack trace needed. The shell prints the message as it is, so
 * services throw this rather than leak low-level exceptions across the service boundary.
 */
public class VmlabException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public VmlabException(String message) {
        super(message);
    }

    /** Keeps the low-level cause for logs; the message alone must still make sense to a user. */
    public VmlabException(String message, Throwable cause) {
        super(message, cause);
    }
}
