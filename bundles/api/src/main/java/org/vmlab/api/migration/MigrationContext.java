package org.vmlab.api.migration;

import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;
import org.vmlab.api.ordering.OrderingPolicy;
import org.vmlab.api.pagecache.PageCacheDetector;
import org.vmlab.api.vm.Vm;

/**
 * What the platform hands an engine for one migration: the VM and the provider instances the plan
 * names, bound for the migration's whole life (a provider uninstalled meanwhile is still usable
 * here until the migration ends).
 */
@ProviderType
public interface MigrationContext {

    /** The VM to migrate, already {@link org.vmlab.api.vm.VmState#MIGRATING}. */
    Vm vm();

    /** Where to report phases, rounds and progress; never {@code null}. */
    MigrationListener listener();

    /** The ordering policy the plan names (or the family default). */
    OrderingPolicy ordering();

    /** The page-cache detector the plan names; empty if it names none. */
    Optional<PageCacheDetector> detector();

    /**
     * Whether the user cancelled the migration. Engines check it at least once per round and
     * before switchover, and then end with a {@link MigrationStatus#CANCELLED} report, leaving the
     * source VM running.
     */
    boolean isCancelled();
}
