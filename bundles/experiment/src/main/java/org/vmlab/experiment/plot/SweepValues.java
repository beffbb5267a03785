package org.vmlab.experiment.plot;

import org.vmlab.api.ByteSize;

/** Swept values on a sweep plot's x axis. */
public final class SweepValues {
    private SweepValues() {
    }

    /** A swept value as a number: plain, or a size such as 256M in bytes; NaN for neither. */
    public static double number(String v) {
        if (v == null) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            try {
                return ByteSize.parse(v).bytes();
            } catch (IllegalArgumentException e2) {
                return Double.NaN;
            }
        }
    }
}
