package org.vmlab.experiment.run;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.experiment.AggregateRow;
import org.vmlab.api.experiment.ClaimCheck;
import org.vmlab.experiment.plan.CheckedSpec;
import org.vmlab.experiment.plot.FigureMaker;
import org.vmlab.experiment.spec.SpecFile;
import org.vmlab.experiment.stats.Aggregator;
import org.vmlab.experiment.store.CsvFiles;
import org.vmlab.experiment.store.JsonFiles;
import org.vmlab.experiment.store.RunRecord;
import org.vmlab.experiment.store.StoredResult;

/**
 * Aggregates what a run id's runs recorded: {@code table.csv} (every configuration × metric),
 * {@code claims.csv} (the paper beside us), the figures under {@code plots/}, and
 * {@code result.json} holding all of it.
 */
final class ResultWriter {
    private static final Logger LOG = LoggerFactory.getLogger(ResultWriter.class);

    private ResultWriter() {
    }

    static StoredResult write(Path dir, String runId, CheckedSpec checked, List<RunRecord> runs) throws IOException {
        List<String> configs = checked.plan().configs();
        List<String> metrics = checked.plan().metrics();
        Map<String, Map<String, List<Double>>> values = new LinkedHashMap<>();
        List<String> failures = new ArrayList<>();
        for (RunRecord r : runs) {
            if (!r.completed()) {
                failures.add(r.folder() + ": " + r.failure());
                continue;
            }
            Map<String, List<Double>> byMetric = values.computeIfAbsent(r.config(), k -> new LinkedHashMap<>());
            for (String m : metrics) {
                Double v = r.metrics().get(m);
                if (v != null && Double.isFinite(v)) {
                    byMetric.computeIfAbsent(m, k -> new ArrayList<>()).add(v);
                }
            }
        }
        List<AggregateRow> table = Aggregator.table(values, configs, metrics, checked.baselines());
        List<List<?>> rows = new ArrayList<>();
        for (AggregateRow a : table) {
            rows.add(List.of(a.config(), a.baseline(), a.metric(), a.n(), a.median(), a.min(), a.max(), a.mean(), a.ciLow(), a.ciHigh(), a.vsBaseline()));
        }
        List<String> files = new ArrayList<>(List.of("table.csv"));
        CsvFiles.write(dir.resolve("table.csv"), List.of("config", "baseline", "metric", "n", "median", "min", "max", "mean", "ciLow", "ciHigh", "vsBaseline"), rows);
        SpecFile.PaperDecl paper = checked.spec().top().paper();
        List<ClaimCheck> claims = paper == null || paper.claims() == null ? List.of()
                : Aggregator.claims(paper.claims(), table, checked.baselines());
        if (!claims.isEmpty()) {
            List<List<?>> c = new ArrayList<>();
            claims.forEach(x -> c.add(List.of(x.metric(), x.config(), x.paper(), x.ours(), x.verdict())));
            CsvFiles.write(dir.resolve("claims.csv"), List.of("metric", "config", "paper", "ours", "verdict"), c);
            files.add("claims.csv");
        }
        List<SpecFile.PlotDecl> plots = checked.spec().top().plots() == null || checked.spec().top().plots().isEmpty()
                ? FigureMaker.defaults(metrics) : checked.spec().top().plots();
        FigureMaker figures = new FigureMaker(dir, configs, runs);
        for (SpecFile.PlotDecl p : plots) {
            try {
                figures.make(p).forEach(f -> files.add(f.toString()));
            } catch (IOException | RuntimeException e) {
                // One figure that cannot be drawn (no data yet) must not lose the table.
                LOG.warn("experiment {}: cannot draw plot {}: {}", runId, p.kind(), e.toString());
                failures.add("plot " + org.vmlab.experiment.plan.PlotNames.of(p) + ": " + e.getMessage());
            }
        }
        StoredResult result = new StoredResult(runId, checked.plan().title(), checked.plan().figure(), checked.baseline(),
                configs, metrics, table, claims, failures, files);
        JsonFiles.write(dir.resolve(StoredResult.FILE), result);
        return result;
    }
}
