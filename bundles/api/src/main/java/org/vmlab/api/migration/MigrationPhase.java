package org.vmlab.api.migration;

/** The steps of a migration, in order; engines skip those they do not have. */
public enum MigrationPhase {
    /** Connecting and preparing the destination VM. */
    SETUP,
    /** Copying memory while the VM runs at the source. */
    PRECOPY,
    /** The VM is paused; the last pages and device state cross. */
    SWITCHOVER,
    /** The VM runs at the destination while the remaining pages arrive. */
    POSTCOPY,
    /** Comparing the destination's memory with the source's. */
    VERIFY,
    DONE
}
