package org.vmlab.api.storage;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.parameter.Parameter;

/**
 * A strategy for keeping a backup site's copy of a disk close to current while the VM runs, so an
 * evacuation over a WAN has little left to send. Registered with {@code vmlab.family=storage} and
 * a unique {@code vmlab.name}.
 */
@ConsumerType
public interface StoragePrecacher {

    /**
     * The options it reads from {@link PrecacheOptions#parameters()}; none by default.
     *
     * @since 1.2
     */
    default List<Parameter> options() {
        return List.of();
    }

    /**
     * Starts copying {@code source} to the backup site in the background and returns at once.
     *
     * @throws IllegalArgumentException naming the parameter, if {@code options} holds an unknown or
     *                                  bad one
     * @throws org.vmlab.api.VmlabException if the backup site cannot be reached
     */
    PrecacheSession start(BlockDevice source, Endpoint backupSite, PrecacheOptions options);
}
