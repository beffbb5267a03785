package org.vmlab.api.storage;

import java.util.Objects;

import org.vmlab.api.migration.MigrationReport;

/**
 * How a migration with storage went: memory (the engine's report) and disk (the copy-on-read
 * device at the destination: blocks pre-cached, fetched on demand, filled in the background).
 *
 * @param memory the memory migration's report
 * @param disk   the disk's move, or {@code null} if the memory migration failed first
 * @since 1.3
 */
public record StorageMigrationReport(MigrationReport memory, EvacuationReport disk) {
    public StorageMigrationReport {
        Objects.requireNonNull(memory, "memory");
    }

    /** Memory moved (and verified if asked) and every disk block arrived (and verified if asked). */
    public boolean completed() {
        return memory.isCompleted() && disk != null && disk.completed();
    }
}
