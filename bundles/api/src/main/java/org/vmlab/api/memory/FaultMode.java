package org.vmlab.api.memory;

/** What a guest task that touches a missing page does while the page is fetched. */
public enum FaultMode {
    /** The faulting vCPU waits for the page (plain postcopy). */
    BLOCKING,
    /**
     * The faulting guest task is parked and the vCPU runs other runnable tasks until the page
     * arrives (guest-cooperative postcopy page faults).
     */
    COOPERATIVE
}
