package org.vmlab.qemu;

import org.vmlab.api.VmlabException;

/** A QMP command failed: QEMU's error reply (its {@code desc}), a timeout or a lost session. */
public final class QmpException extends VmlabException {
    private static final long serialVersionUID = 1L;

    private final String errorClass;

    public QmpException(String message, String errorClass) {
        super(message);
        this.errorClass = errorClass;
    }

    /** QEMU's error class (e.g. {@code GenericError}, {@code CommandNotFound}); null if not a reply. */
    public String errorClass() {
        return errorClass;
    }
}
