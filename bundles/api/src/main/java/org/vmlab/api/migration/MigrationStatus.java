package org.vmlab.api.migration;

/** Where a migration stands, as {@code migration:list} shows it. */
public enum MigrationStatus {
    SETUP,
    /** Transferring while the VM runs at the source. */
    ACTIVE,
    /** The VM runs at the destination and fetches the pages still missing. */
    POSTCOPY_ACTIVE,
    COMPLETED,
    FAILED,
    CANCELLED;

    /** Whether the migration has ended. */
    public boolean isFinal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED;
    }
}
