package org.vmlab.api.migration;

/** Whether the destination's memory was checked against the source's at the pause. */
public enum Verification {
    NOT_REQUESTED,
    PASSED,
    FAILED
}
