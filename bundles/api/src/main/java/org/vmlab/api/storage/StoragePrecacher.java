package org.vmlab.api.storage;

import org.osgi.annotation.versioning.ConsumerType;
import org.vmlab.api.migration.Endpoint;

/**
 * A strategy for keeping a backup site's copy of a disk close to current while the VM runs, so an
 * evacuation over a WAN has little left to send. Registered with {@code vmlab.family=storage} and
 * a unique {@code vmlab.name}.
 */
@ConsumerType
public interface StoragePrecacher {

    /**
     * Starts copying {@code source} to the backup site in the background and returns at once.
     *
     * @throws IllegalArgumentException naming the parameter, if {@code options} holds an unknown or
     *                                  bad one
     * @throws org.vmlab.api.VmlabException if the backup site cannot be reached
     */
    PrecacheSession start(BlockDevice source, Endpoint backupSite, PrecacheOptions options);
}
