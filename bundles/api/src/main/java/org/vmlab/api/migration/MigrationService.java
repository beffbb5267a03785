package org.vmlab.api.migration;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/** Starts and tracks migrations; what the shell and experiments call. */
@ProviderType
public interface MigrationService {

    /**
     * Resolves the plan's providers, checks the engine supports the VM and starts the migration
     * in the background.
     *
     * @param listener told about progress; {@link MigrationListener#NONE} for nobody
     * @throws org.vmlab.api.VmlabException with one sentence if the migration cannot start: VM,
     *                                      engine, ordering or detector not found, engine does not
     *                                      support the VM, id already used, VM already migrating
     */
    Migration start(MigrationPlan plan, MigrationListener listener);

    /** Running migrations and those finished since this service started, oldest first. */
    List<Migration> migrations();

    Optional<Migration> find(String id);
}
