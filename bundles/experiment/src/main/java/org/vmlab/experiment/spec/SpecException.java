package org.vmlab.experiment.spec;

import org.vmlab.api.VmlabException;

/** A spec refused before anything ran: file, line and field, then why. */
public final class SpecException extends VmlabException {
    private static final long serialVersionUID = 1L;

    public SpecException(String file, int line, String field, String why) {
        super(file + (line > 0 ? ":" + line : "") + (field == null || field.isEmpty() ? "" : ": " + field) + ": " + why);
    }
}
