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
 * Postcopy: the VM is paused, its device state and the list of pages it will miss cross, and it
 * resumes at the destination at once. The pages follow in the ordering policy's order on the data
 * streams; a page the guest touches first is requested by the destination and sent at once on the
 * control connection, ahead of the push. Plan option {@code fault-mode=blocking} (default: the
 * faulting vCPU waits) or {@code cooperative} (the faulting guest task is parked and the vCPU runs
 * other tasks until the page arrives). Zero pages do not cross at all.
 *
 * <p>Past the commit the VM exists only at the destination. If the link is lost before every
 * page has arrived, the destination VM fails naming the missing pages and the source VM stays
 * paused with the last full copy of the memory.
 */
@Component(service = TransferEngine.class, property = {
        "vmlab.family=engine",
        "vmlab.name=postcopy",
        "vmlab.description=Postcopy: resume at the destination first, then push pages; faults fetched on demand (blocking or cooperative)",
        "service.ranking:Integer=50"})
public final class PostcopyEngine implements TransferEngine {
    public static final String NAME = "postcopy";

    private final MigrationReceiver receiver;

    @Activate
    public PostcopyEngine(@Reference MigrationReceiver receiver) {
        this.receiver = Objects.requireNonNull(receiver, "receiver");
    }

    @Override
    public Optional<String> unsupportedReason(Vm vm) {
        return unsupported(NAME, vm);
    }

    static Optional<String> unsupported(String engine, Vm vm) {
        if (vm.memory().pageCount() > Integer.MAX_VALUE) {
            return Optional.of(engine + " supports at most 2^31 pages");
        }
        if (vm.memory().postcopy().isEmpty()) {
            return Optional.of(engine + " needs guest memory that can wait for missing pages, which the '"
                    + vm.backend() + "' backend does not offer");
        }
        return Optional.empty();
    }

    @Override
    public List<Parameter> options() {
        return EngineOptions.POSTCOPY;
    }

    @Override
    public MigrationReport migrate(MigrationPlan plan, MigrationContext context) {
        return new TransferRun(NAME, options(), o -> new TransferRun.Shape(0, SwitchoverRule.Kind.ROUNDS, true),
                plan, context, receiver).run();
    }
}
