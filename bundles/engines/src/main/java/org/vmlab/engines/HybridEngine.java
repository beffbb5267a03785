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
 * Hybrid: a set number of precopy rounds while the VM runs (plan option {@code precopy-rounds},
 * default 2, at most the plan's {@code maxRounds}), then a postcopy
 * switchover for what is still dirty, as {@link PostcopyEngine} does it (also its
 * {@code fault-mode} option).
 */
@Component(service = TransferEngine.class, property = {
        "vmlab.family=engine",
        "vmlab.name=hybrid",
        "vmlab.description=Hybrid: a set number of precopy rounds (option precopy-rounds), then postcopy",
        "service.ranking:Integer=40"})
public final class HybridEngine implements TransferEngine {
    public static final String NAME = "hybrid";

    private final MigrationReceiver receiver;

    @Activate
    public HybridEngine(@Reference MigrationReceiver receiver) {
        this.receiver = Objects.requireNonNull(receiver, "receiver");
    }

    @Override
    public Optional<String> unsupportedReason(Vm vm) {
        return PostcopyEngine.unsupported(NAME, vm);
    }

    @Override
    public List<Parameter> options() {
        return EngineOptions.HYBRID;
    }

    @Override
    public MigrationReport migrate(MigrationPlan plan, MigrationContext context) {
        return new TransferRun(NAME, options(),
                o -> new TransferRun.Shape(o.precopyRounds(), SwitchoverRule.Kind.ROUNDS, true), plan, context,
                receiver).run();
    }
}
