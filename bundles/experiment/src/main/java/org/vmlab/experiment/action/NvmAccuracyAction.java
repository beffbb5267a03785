package org.vmlab.experiment.action;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.vmlab.api.VmlabException;
import org.vmlab.api.experiment.ActionContext;
import org.vmlab.api.experiment.ExperimentAction;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.parameter.ParameterSet;
import org.vmlab.api.parameter.ParameterValues;
import org.vmlab.api.tiering.AccuracyRow;
import org.vmlab.api.tiering.TierModel;
import org.vmlab.api.tiering.TieringService;

/**
 * {@code nvm-accuracy}: the NVM emulator's accuracy (Koshiba et al., IEICE'19) for one tier model:
 * pointer chasing (reads) and pointer chasing with a store to every line (write-backs) in an
 * emulated tier, measured time per access against the model's latency. With {@code charge:
 * symmetric} the write-backs are charged the read latency, as Quartz's model does, so a sweep shows
 * what asymmetric charging gains. Records {@code <step>.readTargetNs}, {@code readMeasuredNs},
 * {@code readErrorPercent}, {@code writeBackTargetNs}, {@code writeBackMeasuredNs},
 * {@code writeBackErrorPercent}, {@code writeBackAbsErrorPercent}, {@code hostReadNs} and
 * {@code hostWriteBackNs}.
 */
@Component(service = ExperimentAction.class, property = {
        "vmlab.name=nvm-accuracy",
        "vmlab.description=Measures the NVM emulator's read and write-back latency against a tier model's; records target, measured, error %"})
public final class NvmAccuracyAction extends DescribedAction {
    static final List<Parameter> PARAMETERS = List.of(
            Parameter.text("model", "optane-dcpmm", "tier model: a preset or figures, as tier:list shows (e.g. pcm, read=300ns,write=900ns)"),
            Parameter.integer("read", null, 1, 1_000_000, "read latency in ns, replacing the model's"),
            Parameter.integer("write", null, 1, 1_000_000, "write-back latency in ns, replacing the model's"),
            Parameter.choice("charge", "asymmetric", "asymmetric: write-backs charged the write latency (Koshiba);"
                    + " symmetric: charged the read latency (Quartz)", "asymmetric", "symmetric"),
            Parameter.integer("hops", "300000", 1000, 100_000_000, "dependent accesses per figure"),
            Parameter.size("buffer", "64m", 16 << 10, 4L << 30, "pointer-chasing buffer; beyond the last-level cache every hop misses"));

    private final TieringService tiering;

    @Activate
    public NvmAccuracyAction(@Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
                             TieringService tiering) {
        super(PARAMETERS);
        this.tiering = tiering;
    }

    @Override
    public void check(String name, Map<String, String> settings) {
        ParameterValues v = ParameterSet.options("action '" + name + "'", PARAMETERS).validate(settings);
        model(service().orElseThrow(() -> new IllegalArgumentException(absent())), v);
    }

    @Override
    public void run(ActionContext context, Map<String, String> settings) {
        TieringService service = service().orElseThrow(() -> new VmlabException(absent()));
        ParameterValues v = ParameterSet.options("action 'nvm-accuracy'", PARAMETERS).validate(settings);
        TierModel model = model(service, v);
        boolean symmetric = "symmetric".equals(v.choice("charge"));
        List<Long> targets = model.readLatencyNanos() == model.writeLatencyNanos() ? List.of(model.readLatencyNanos())
                : List.of(model.readLatencyNanos(), model.writeLatencyNanos());
        List<AccuracyRow> rows = service.accuracy(targets, v.integer("hops"), v.bytes("buffer"), symmetric,
                model.readLatencyNanos(), line -> context.note(context.step() + ": " + line));
        AccuracyRow read = row(rows, "read", "asymmetric", model.readLatencyNanos());
        AccuracyRow writeBack = row(rows, "write-back", symmetric ? "symmetric" : "asymmetric", model.writeLatencyNanos());
        String s = context.step() + ".";
        context.metric(s + "readTargetNs", read.targetNanos());
        context.metric(s + "readMeasuredNs", read.measuredNanos());
        context.metric(s + "readErrorPercent", read.errorPercent());
        context.metric(s + "hostReadNs", read.hostNanos());
        context.metric(s + "writeBackTargetNs", writeBack.targetNanos());
        context.metric(s + "writeBackMeasuredNs", writeBack.measuredNanos());
        context.metric(s + "writeBackErrorPercent", writeBack.errorPercent());
        context.metric(s + "writeBackAbsErrorPercent", Math.abs(writeBack.errorPercent()));
        context.metric(s + "hostWriteBackNs", writeBack.hostNanos());
        context.note(String.format(Locale.ROOT, "%s: %s, read %d ns → %.1f ns (%+.2f%%), write-back %d ns (%s) → %.1f ns (%+.2f%%)",
                context.step(), model.name(), read.targetNanos(), read.measuredNanos(), read.errorPercent(),
                writeBack.targetNanos(), writeBack.model(), writeBack.measuredNanos(), writeBack.errorPercent()));
    }

    private Optional<TieringService> service() {
        return Optional.ofNullable(tiering);
    }

    private static String absent() {
        return "the NVM emulator is not installed (feature:install vmlab-tiering)";
    }

    /** The model as given, with the {@code read} and {@code write} latencies in place of its own. */
    private static TierModel model(TieringService service, ParameterValues v) {
        TierModel m;
        try {
            m = service.model(v.text("model"));
        } catch (IllegalArgumentException e) {
            throw v.bad("model", e.getMessage());
        }
        long read = v.has("read") ? v.integer("read") : m.readLatencyNanos();
        long write = v.has("write") ? v.integer("write") : m.writeLatencyNanos();
        if (read == 0 || write == 0) {
            throw v.bad("model", "model '" + m.name() + "' adds no latency (read " + read + " ns, write " + write + " ns): nothing to measure");
        }
        return m.withLatencies(m.name(), read, write);
    }

    private static AccuracyRow row(List<AccuracyRow> rows, String access, String model, long target) {
        return rows.stream().filter(r -> r.access().equals(access) && r.model().equals(model) && r.targetNanos() == target)
                .findFirst().orElseThrow(() -> new VmlabException("the emulator returned no " + access + " row at " + target + " ns"));
    }
}
