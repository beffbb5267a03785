package org.vmlab.experiment.plan;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.vmlab.experiment.spec.Spec;
import org.vmlab.experiment.spec.SpecFile.ClaimDecl;
import org.vmlab.experiment.spec.SpecFile.PlotDecl;

/** Checks the spec's plots and the paper's claims against what the runs record. */
final class FigureChecker {
    static final List<String> KINDS = List.of("timeseries", "bars", "cdf", "histogram", "sweep");
    static final List<String> EXPECTS = List.of("lower", "higher", "not-higher", "not-lower");

    private final Spec spec;
    private final List<RunConfig> configs;
    private final List<String> metrics;

    FigureChecker(Spec spec, List<RunConfig> configs, List<String> metrics) {
        this.spec = spec;
        this.configs = configs;
        this.metrics = metrics;
    }

    void check() {
        List<PlotDecl> plots = spec.top().plots() == null ? List.of() : spec.top().plots();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < plots.size(); i++) {
            String p = "/plots/" + i;
            PlotDecl d = plots.get(i);
            if (d == null || d.kind() == null || !KINDS.contains(d.kind())) {
                throw spec.error(p + "/kind", "a plot's kind is one of " + String.join(", ", KINDS)
                        + (d == null || d.kind() == null ? "" : ", not '" + d.kind() + "'"));
            }
            switch (d.kind()) {
                case "bars", "sweep" -> {
                    if (d.metric() == null) {
                        throw spec.error(p, "a " + d.kind() + " plot shows a metric (metric: ...)");
                    }
                    MetricNames.check(spec, p + "/metric", d.metric(), configs.get(0));
                    if ("sweep".equals(d.kind()) && (d.x() == null || !configs.get(0).values().containsKey(d.x()))) {
                        throw spec.error(p + "/x", "a sweep plot's x is a swept variable: " + String.join(", ", configs.get(0).values().keySet()));
                    }
                    if ("sweep".equals(d.kind())) {
                        for (RunConfig c : configs) {
                            if (Double.isNaN(org.vmlab.experiment.plot.SweepValues.number(c.values().get(d.x())))) {
                                throw spec.error(p + "/x", "'" + d.x() + "' takes the value '" + c.values().get(d.x())
                                        + "', which is not a number or a size; a sweep plot needs numbers on its x axis");
                            }
                        }
                    }
                }
                default -> {
                    String series = d.series() == null ? Metrics.THROUGHPUT : d.series();
                    List<String> columns = MetricNames.columns(series, configs.get(0)).orElseThrow(() -> spec.error(p + "/series",
                            "no series '" + series + "'; series: throughput, <step>.timeline of a step that migrates,"
                                    + " and <step>.latency of a kvs-load step"));
                    if (d.column() != null && !columns.contains(d.column())) {
                        throw spec.error(p + "/column", "series '" + series + "' has " + String.join(", ", columns) + "; not '" + d.column() + "'");
                    }
                }
            }
            if (d.scale() != null && !("cdf".equals(d.kind()) && List.of("linear", "log").contains(d.scale()))) {
                throw spec.error(p + "/scale", "cdf".equals(d.kind()) ? "a cdf plot's scale is linear or log, not '" + d.scale() + "'"
                        : "only cdf plots take a scale (their x axis: linear or log)");
            }
            if (d.where() != null) {
                for (Map.Entry<String, String> w : d.where().entrySet()) {
                    if (configs.stream().noneMatch(c -> w.getValue() != null && w.getValue().equals(c.values().get(w.getKey())))) {
                        throw spec.error(p + "/where/" + w.getKey(), "no configuration has " + w.getKey() + "=" + w.getValue());
                    }
                }
            }
            String name = PlotNames.of(d);
            if (!names.add(name)) {
                throw spec.error(p + "/name", "two plots are called '" + name + "'; give one a name");
            }
        }
        checkClaims();
    }

    private void checkClaims() {
        if (spec.top().paper() == null || spec.top().paper().claims() == null) {
            return;
        }
        List<ClaimDecl> claims = spec.top().paper().claims();
        List<String> labels = configs.stream().map(RunConfig::label).toList();
        for (int i = 0; i < claims.size(); i++) {
            String p = "/paper/claims/" + i;
            ClaimDecl c = claims.get(i);
            if (c.metric() == null || !metrics.contains(c.metric())) {
                throw spec.error(p + "/metric", "a claim compares one of the spec's metrics: " + String.join(", ", metrics));
            }
            if (c.config() == null || !labels.contains(c.config())) {
                throw spec.error(p + "/config", "a claim is about one configuration: " + String.join("; ", labels));
            }
            if (c.against() != null && !labels.contains(c.against())) {
                throw spec.error(p + "/against", "a claim is compared with one configuration: " + String.join("; ", labels));
            }
            if (c.against() == null && configs.stream().noneMatch(x -> x.label().equals(c.config()) && !x.baseline())
                    && configs.stream().anyMatch(x -> x.label().equals(c.config()))) {
                throw spec.error(p + "/config", "'" + c.config() + "' is a baseline itself; name a configuration compared with one, or say 'against'");
            }
            if (c.expect() == null || !EXPECTS.contains(c.expect())) {
                throw spec.error(p + "/expect", "expect is one of " + String.join(", ", EXPECTS) + " (than the baseline)");
            }
            if (c.paper() == null || c.paper().isBlank()) {
                throw spec.error(p + "/paper", "quote what the paper reports (or say it gives no figure)");
            }
        }
    }
}
