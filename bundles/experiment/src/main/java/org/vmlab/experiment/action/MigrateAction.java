package org.vmlab.experiment.action;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vmlab.api.DataRate;
import org.vmlab.api.VmlabException;
import org.vmlab.api.experiment.ActionContext;
import org.vmlab.api.experiment.ExperimentAction;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.migration.LinkSpec;
import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPhase;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationService;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.parameter.ParameterSet;
import org.vmlab.api.parameter.ParameterValues;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.api.provider.ProviderInfo;

/**
 * {@code migrate}: live-migrates a VM through the {@link MigrationService} with any engine,
 * ordering, detector and link shape, and records its report. Engine and ordering options go
 * under {@code options} and are checked against what the chosen providers describe.
 */
@Component(service = ExperimentAction.class, property = {
        "vmlab.name=migrate",
        "vmlab.description=Live-migrates a VM with any engine, ordering, detector and link; records its report"})
public final class MigrateAction extends DescribedAction {
    static final List<Parameter> PARAMETERS = List.of(
            Parameter.text("vm", null, "the spec's name of the VM to migrate").asRequired(),
            Parameter.text("engine", null, "transfer engine (vmlab.name); default: the engine family's default"),
            Parameter.text("ordering", null, "page ordering policy (vmlab.name); default: the family's default"),
            Parameter.text("detector", null, "page-cache detector (vmlab.name); default: none"),
            Parameter.text("to", null, "destination receiver host:port; default: this node's own receiver"),
            Parameter.text("rate", null, "network rate limit in bits/s, e.g. 1g or 100m; default: unlimited"),
            Parameter.duration("latency", "0", "one-way latency added to the network path"),
            Parameter.text("san-rate", null, "SAN path rate in bits/s; default: no SAN path"),
            Parameter.duration("downtime-limit", "300ms", "downtime target (QEMU's downtime-limit)"),
            Parameter.integer("max-rounds", Integer.toString(MigrationPlan.DEFAULT_MAX_ROUNDS), 1, 1_000_000, "switch over after this many rounds at most"),
            Parameter.integer("streams", "1", 1, MigrationPlan.MAX_STREAMS, "parallel data-plane connections"),
            Parameter.bool("compress", "false", "LZ4-compress pages on the wire"),
            Parameter.bool("verify", "false", "compare the destination's memory with the source's at the pause"));

    private final MigrationService migrations;
    private final ProviderCatalog catalog;

    @Activate
    public MigrateAction(@Reference MigrationService migrations, @Reference ProviderCatalog catalog) {
        super(PARAMETERS);
        this.migrations = migrations;
        this.catalog = catalog;
    }

    @Override
    public void check(String name, Map<String, String> settings) {
        ParameterValues v = StepSettings.own(name, PARAMETERS, settings);
        ProviderInfo engine = provider(Family.ENGINE, v.text("engine"));
        ProviderInfo ordering = provider(Family.ORDERING, v.text("ordering"));
        if (v.text("detector") != null) {
            provider(Family.PAGECACHE, v.text("detector"));
        }
        rate("rate", v.text("rate"));
        rate("san-rate", v.text("san-rate"));
        if (v.text("to") != null) {
            try {
                Endpoint.parse(v.text("to"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'to': " + e.getMessage());
            }
        }
        ParameterSet.options("engine '" + engine.name() + "' and ordering '" + ordering.name() + "'", engine.settings())
                .plus(ordering.settings()).validate(StepSettings.options(settings));
    }

    @Override
    public void run(ActionContext context, Map<String, String> settings) throws Exception {
        String label = context.step();
        ParameterValues v = StepSettings.own("migrate", PARAMETERS, settings);
        MigrationPlan.Builder plan = MigrationPlan.builder(context.vm(v.text("vm")).id())
                .engine(v.text("engine")).ordering(v.text("ordering")).detector(v.text("detector"))
                .network(new LinkSpec(rate("rate", v.text("rate")), v.duration("latency")))
                .downtimeLimit(v.duration("downtime-limit")).maxRounds(v.intValue("max-rounds"))
                .streams(v.intValue("streams")).compress(v.bool("compress")).verify(v.bool("verify"))
                .options(StepSettings.options(settings));
        if (v.text("san-rate") != null) {
            plan.san(LinkSpec.of(rate("san-rate", v.text("san-rate"))));
        }
        if (v.text("to") != null) {
            plan.destination(Endpoint.parse(v.text("to")));
        }
        context.mark(label + ".start");
        Migration m = migrations.start(plan.build(), new MigrationListener() {
            @Override
            public void onPhase(MigrationPhase phase) {
                if (phase == MigrationPhase.SWITCHOVER || phase == MigrationPhase.POSTCOPY) {
                    context.mark(label + "." + phase.name().toLowerCase(java.util.Locale.ROOT));
                }
            }
        });
        MigrationReport report;
        try {
            report = m.result().toCompletableFuture().get();
        } catch (InterruptedException e) {
            m.cancel(); // the experiment is stopping: the VM stays where it is
            throw e;
        } catch (ExecutionException e) {
            throw new VmlabException("migration " + m.id() + " failed: " + e.getCause().getMessage(), e.getCause());
        }
        context.mark(label + ".end");
        context.report(label, report);
        context.note(String.format(java.util.Locale.ROOT, "%s: %s in %d ms, downtime %d ms", label,
                report.status().name().toLowerCase(java.util.Locale.ROOT), report.totalTimeMs(), report.downtimeMs()));
        if (report.status() != MigrationStatus.COMPLETED) {
            throw new VmlabException("migration " + report.id() + " " + report.status().name().toLowerCase(java.util.Locale.ROOT)
                    + ": " + report.failureReason());
        }
    }

    private ProviderInfo provider(Family family, String name) {
        List<ProviderInfo> all = catalog.providers(family);
        return (name == null ? all.stream().filter(ProviderInfo::isDefault) : all.stream().filter(p -> p.name().equals(name)))
                .findFirst().orElseThrow(() -> new IllegalArgumentException(all.isEmpty() ? "no " + family.id() + " is installed"
                        : "no " + family.id() + " '" + name + "'; " + family.id() + "s: "
                        + String.join(", ", all.stream().map(ProviderInfo::name).toList())));
    }

    private static DataRate rate(String setting, String text) {
        if (text == null) {
            return DataRate.UNLIMITED;
        }
        try {
            return DataRate.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + setting + "': " + e.getMessage());
        }
    }
}
