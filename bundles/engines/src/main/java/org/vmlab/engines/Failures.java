package org.vmlab.engines;

/** How a migration's source side can end other than by completing. */
final class Failures {
    private Failures() {
    }

    /** The user cancelled. */
    static final class Cancelled extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Cancelled() {
            super("cancelled by the user", null, false, false);
        }
    }

    /** Destination memory differs from the source's. */
    static final class VerificationFailure extends Exception {
        private static final long serialVersionUID = 1L;

        VerificationFailure(String message) {
            super("verification failed: " + message);
        }
    }

    /**
     * A failure after the commit: the VM may run at the destination, so the source must stay
     * paused (never run twice); the message says what happened and where the VM is.
     */
    static final class PastCommit extends Exception {
        private static final long serialVersionUID = 1L;

        PastCommit(String message) {
            super(message, null, false, false);
        }
    }

    /** The message of {@code e}, or its class name if it has none. */
    static String reason(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
