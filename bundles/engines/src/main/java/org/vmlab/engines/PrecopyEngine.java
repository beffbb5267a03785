package org.vmlab.engines;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vmlab.api.migration.MigrationContext;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.TransferEngine;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.vm.Vm;

/**
 * Iterative precopy, as QEMU does it: round 0 sends every page in the ordering policy's order
 * with dirty logging already on; each later round sends the pages the last sync found dirty;
 * switchover once the remaining bytes fit in rate x downtime limit (the measured throughput of the
 * last round when the link is unlimited) or after {@code maxRounds}. Unlike QEMU, by default it
 * goes on while one more round is expected to leave under 3/4 of what is left (dirty rate x the time to send
 * the rest and sync), which lowers downtime where syncs are cheap relative to the dirty rate;
 * option {@code switchover=threshold} keeps QEMU's rule. Auto-converge throttles the
 * vCPUs (20%, +10% per round, at most 99%) after two rounds whose dirty rate reached half the
 * link rate; plan option {@code auto-converge=false} turns it off.
 *
 * <p>After a successful migration the source VM is destroyed (the VM has moved); the destination
 * keeps the id its backend gave it ({@code name} on another node, {@code name-incoming} on the
 * same node, as the backend chooses, since the api has no rename).
 */
@Component(service = TransferEngine.class, property = {
        "vmlab.family=engine",
        "vmlab.name=precopy",
        "vmlab.description=Iterative precopy with QEMU's switchover rule and auto-converge",
        "service.ranking:Integer=100"})
public final class PrecopyEngine implements TransferEngine {
    public static final String NAME = "precopy";

    private final MigrationReceiver receiver;

    /** @param receiver this node's receiver: the secret, the timeout and the local endpoint */
    @Activate
    public PrecopyEngine(@Reference MigrationReceiver receiver) {
        this.receiver = Objects.requireNonNull(receiver, "receiver");
    }

    @Override
    public Optional<String> unsupportedReason(Vm vm) {
        if (vm.memory().pageCount() > Integer.MAX_VALUE) {
            return Optional.of("precopy supports at most 2^31 pages");
        }
        return Optional.empty();
    }

    @Override
    public List<Parameter> options() {
        return EngineOptions.PRECOPY;
    }

    @Override
    public MigrationReport migrate(MigrationPlan plan, MigrationContext context) {
        return new TransferRun(NAME, options(), o -> new TransferRun.Shape(plan.maxRounds(), o.switchover(), false),
                plan, context, receiver).run();
    }
}
