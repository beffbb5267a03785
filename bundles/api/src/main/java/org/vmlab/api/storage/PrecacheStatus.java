package org.vmlab.api.storage;

import java.util.Objects;

import org.vmlab.api.migration.Endpoint;

/**
 * A VM's pre-caching as {@code storage:precache status} shows it.
 *
 * @param vm                  the VM's id
 * @param strategy            the precacher's name
 * @param backupSite          where blocks go
 * @param export              the export name at the backup site
 * @param stats               blocks cached and dirty, bytes sent
 * @param bytesPerSecond      the send rate measured over the last interval
 * @param evacuationSeconds   the dirty and never-sent blocks over the link's current speed (or
 *                            its cap when idle); 0 when nothing is left
 * @param state               running, stopped, or failed with the reason
 * @since 1.2
 */
public record PrecacheStatus(String vm, String strategy, Endpoint backupSite, String export, PrecacheStats stats,
                             double bytesPerSecond, double evacuationSeconds, String state) {
    public PrecacheStatus {
        Objects.requireNonNull(vm, "vm");
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(backupSite, "backupSite");
        Objects.requireNonNull(export, "export");
        Objects.requireNonNull(stats, "stats");
        Objects.requireNonNull(state, "state");
    }
}
