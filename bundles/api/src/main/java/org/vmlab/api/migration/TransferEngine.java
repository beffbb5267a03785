package org.vmlab.api.migration;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ConsumerType;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.vm.Vm;

/**
 * A way to move a running VM to another node (precopy, postcopy, hybrid, SAN-assisted, QEMU's own,
 * ...). Registered with {@code vmlab.family=engine} and a unique {@code vmlab.name}. Engines see
 * only the api's VM and memory abstractions, never the backend.
 */
@ConsumerType
public interface TransferEngine {

    /**
     * Empty when this engine can migrate {@code vm}; otherwise one sentence saying why not (e.g.
     * "postcopy needs precise dirty logging"), which the user sees.
     */
    Optional<String> unsupportedReason(Vm vm);

    /**
     * The options this engine reads from {@link MigrationPlan#options()}: the migration service
     * refuses a plan whose options these (with the ordering policy's) do not accept, before
     * anything moves; help and completion list them.
     */
    default List<Parameter> options() {
        return List.of();
    }

    /**
     * Carries out {@code plan} and returns when the migration has ended, however it ended. Failures
     * are returned as a {@link MigrationStatus#FAILED} report with a reason rather than thrown.
     * A failure or cancellation before switchover leaves the source VM as it was, running; the
     * engine never harms the VM and leaks nothing.
     *
     * @param plan    the plan, with engine and ordering names resolved
     * @param context the VM and bound providers
     */
    MigrationReport migrate(MigrationPlan plan, MigrationContext context);
}
