package org.vmlab.experiment.plot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jfree.chart.JFreeChart;
import org.vmlab.experiment.plan.Metrics;
import org.vmlab.experiment.plan.PlotNames;
import org.vmlab.experiment.spec.SpecFile.PlotDecl;
import org.vmlab.experiment.stats.Summary;
import org.vmlab.experiment.store.CsvFiles;
import org.vmlab.experiment.store.RunRecord;

/**
 * Turns the runs of a results folder into the spec's figures: each as PNG, SVG and the CSV of
 * exactly what it shows. Time series show the first completed repetition of each configuration;
 * bars, sweeps, CDFs and histograms use every completed run.
 */
public final class FigureMaker {
    public static final String DIR = "plots";

    private final Path resultsDir;
    private final List<String> configs;
    private final List<RunRecord> runs;

    /**
     * @param resultsDir the run id's folder
     * @param configs    configuration labels in plan order
     * @param runs       the finished runs (failed ones are skipped)
     */
    public FigureMaker(Path resultsDir, List<String> configs, List<RunRecord> runs) {
        this.resultsDir = resultsDir;
        this.configs = configs;
        this.runs = runs.stream().filter(RunRecord::completed).toList();
    }

    /** The figures a spec without {@code plots} gets: a bar chart per metric and the guest's throughput. */
    public static List<PlotDecl> defaults(List<String> metrics) {
        List<PlotDecl> out = new ArrayList<>();
        for (String m : metrics) {
            out.add(new PlotDecl(null, "bars", m, null, null, null, null, null, null));
        }
        out.add(new PlotDecl(null, "timeseries", null, Metrics.THROUGHPUT, "opsPerSecond", null, null, null, null));
        return out;
    }

    /** Draws one figure; returns the files written, relative to the results folder. */
    public List<Path> make(PlotDecl d) throws IOException {
        return new FigureMaker(resultsDir, configs(d), runs).draw(d);
    }

    /** The configurations a plot shows: those with its {@code where} values. */
    private List<String> configs(PlotDecl d) {
        if (d.where() == null || d.where().isEmpty()) {
            return configs;
        }
        return configs.stream().filter(c -> runs.stream().filter(r -> r.config().equals(c)).findFirst()
                .map(r -> d.where().entrySet().stream().allMatch(w -> w.getValue().equals(r.values().get(w.getKey()))))
                .orElse(false)).toList();
    }

    private List<Path> draw(PlotDecl d) throws IOException {
        String name = PlotNames.of(d);
        Path dir = resultsDir.resolve(DIR);
        JFreeChart chart = switch (d.kind()) {
            case "bars" -> bars(d, dir, name);
            case "sweep" -> sweep(d, dir, name);
            case "timeseries" -> timeseries(d, dir, name);
            case "cdf" -> cdf(d, dir, name);
            case "histogram" -> Charts.histogram(title(d, "Histogram of " + column(d)), column(d), values(d, dir, name), 20);
            default -> throw new IllegalArgumentException("no plot kind '" + d.kind() + "'");
        };
        List<Path> out = new ArrayList<>();
        for (Path p : Charts.write(chart, dir, name)) {
            out.add(resultsDir.relativize(p));
        }
        out.add(resultsDir.relativize(dir.resolve(name + ".csv")));
        return out;
    }

    private JFreeChart cdf(PlotDecl d, Path dir, String name) throws IOException {
        Map<String, double[]> values = values(d, dir, name);
        boolean log = d.scale() == null ? Charts.spansDecades(values, 2) : "log".equals(d.scale());
        return Charts.cdf(title(d, "CDF of " + column(d)), column(d), values, log);
    }

    private JFreeChart bars(PlotDecl d, Path dir, String name) throws IOException {
        List<Charts.Bar> bars = new ArrayList<>();
        List<List<?>> rows = new ArrayList<>();
        for (String c : configs) {
            Summary s = Summary.of(metricValues(c, d.metric()));
            if (s.n() == 0) {
                continue;
            }
            bars.add(new Charts.Bar(c, s.mean(), s.hasCi() ? s.ciHigh() - s.mean() : Double.NaN));
            rows.add(List.of(c, s.n(), s.mean(), s.median(), s.min(), s.max(), s.ciLow(), s.ciHigh()));
        }
        CsvFiles.write(dir.resolve(name + ".csv"), List.of("config", "n", "mean", "median", "min", "max", "ciLow", "ciHigh"), rows);
        return Charts.bars(title(d, d.metric()), d.metric() + " (mean; bars: 95% CI where n ≥ 3)", bars);
    }

    private JFreeChart sweep(PlotDecl d, Path dir, String name) throws IOException {
        Map<String, List<Charts.Point>> curves = new LinkedHashMap<>();
        List<List<?>> rows = new ArrayList<>();
        for (String c : configs) {
            RunRecord any = runs.stream().filter(r -> r.config().equals(c)).findFirst().orElse(null);
            if (any == null) {
                continue;
            }
            Map<String, String> rest = new LinkedHashMap<>(any.values());
            double x = SweepValues.number(rest.remove(d.x()));
            String curve = rest.isEmpty() ? d.metric() : rest.toString().replaceAll("[{}]", "");
            Summary s = Summary.of(metricValues(c, d.metric()));
            double low = s.hasCi() ? s.ciLow() : s.min();
            double high = s.hasCi() ? s.ciHigh() : s.max();
            curves.computeIfAbsent(curve, k -> new ArrayList<>()).add(new Charts.Point(x, s.median(), low, high));
            rows.add(List.of(curve, x, s.n(), s.median(), low, high));
        }
        CsvFiles.write(dir.resolve(name + ".csv"), List.of("curve", d.x(), "n", "median", "low", "high"), rows);
        return Charts.sweep(title(d, d.metric() + " over " + d.x()), d.x(), d.metric() + " (median; bars: 95% CI, or range under 3 runs)", curves);
    }

    private JFreeChart timeseries(PlotDecl d, Path dir, String name) throws IOException {
        String column = column(d);
        Map<String, List<double[]>> lines = new LinkedHashMap<>();
        List<Charts.Marker> markers = new ArrayList<>();
        List<List<?>> rows = new ArrayList<>();
        for (String c : configs) {
            RunRecord first = runs.stream().filter(r -> r.config().equals(c)).findFirst().orElse(null);
            if (first == null) {
                continue;
            }
            Path runDir = resultsDir.resolve("runs").resolve(first.folder());
            List<Map<String, String>> series = CsvFiles.read(runDir.resolve(seriesFile(d)));
            boolean severalVms = series.stream().map(row -> row.get("vm")).distinct().count() > 1;
            for (Map<String, String> row : series) {
                String vm = severalVms ? row.get("vm") : null;
                String label = shortLabel(c, d);
                String line = configs.size() == 1 ? (vm == null ? column : vm) : (vm == null ? label : label + " " + vm);
                double t = CsvFiles.number(row, "seconds");
                double v = CsvFiles.number(row, column);
                lines.computeIfAbsent(line, k -> new ArrayList<>()).add(new double[] {t, v});
                rows.add(List.of(line, t, v));
            }
            // The switchover of each migration: where the guest stops at the source.
            for (Map<String, String> m : CsvFiles.read(runDir.resolve("marks.csv"))) {
                if (m.get("label").endsWith(".switchover")) {
                    markers.add(new Charts.Marker(CsvFiles.number(m, "seconds"), configs.size() == 1 ? "switchover" : "switchover (" + shortLabel(c, d) + ")"));
                }
            }
        }
        CsvFiles.write(dir.resolve(name + ".csv"), List.of("line", "seconds", column), rows);
        return Charts.timeseries(title(d, column + " over time (first repetition of each configuration)"),
                "seconds since warm-up", column, lines, markers);
    }

    /** A configuration's label without the values every line of a filtered plot shares. */
    private static String shortLabel(String config, PlotDecl d) {
        if (d.where() == null) {
            return config;
        }
        String out = config;
        for (Map.Entry<String, String> w : d.where().entrySet()) {
            out = out.replace(w.getKey() + "=" + w.getValue() + ",", "").replace("," + w.getKey() + "=" + w.getValue(), "");
        }
        return out;
    }

    private Map<String, double[]> values(PlotDecl d, Path dir, String name) throws IOException {
        String column = column(d);
        Map<String, double[]> out = new LinkedHashMap<>();
        List<List<?>> rows = new ArrayList<>();
        for (String c : configs) {
            List<Double> v = new ArrayList<>();
            for (RunRecord r : runs.stream().filter(r -> r.config().equals(c)).toList()) {
                for (Map<String, String> row : CsvFiles.read(resultsDir.resolve("runs").resolve(r.folder()).resolve(seriesFile(d)))) {
                    double x = CsvFiles.number(row, column);
                    if (Double.isFinite(x)) {
                        v.add(x);
                        rows.add(List.of(c, r.repetition(), x));
                    }
                }
            }
            if (!v.isEmpty()) {
                out.put(c, v.stream().mapToDouble(Double::doubleValue).toArray());
            }
        }
        CsvFiles.write(dir.resolve(name + ".csv"), List.of("config", "repetition", column), rows);
        return out;
    }

    private List<Double> metricValues(String config, String metric) {
        return runs.stream().filter(r -> r.config().equals(config)).map(r -> r.metrics().get(metric))
                .filter(v -> v != null && Double.isFinite(v)).toList();
    }

    private static String seriesFile(PlotDecl d) {
        return (d.series() == null ? Metrics.THROUGHPUT : d.series()) + ".csv";
    }

    private static String column(PlotDecl d) {
        return PlotNames.column(d);
    }

    private static String title(PlotDecl d, String fallback) {
        return d.title() == null ? fallback : d.title();
    }

}
