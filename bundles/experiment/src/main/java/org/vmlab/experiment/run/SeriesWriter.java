package org.vmlab.experiment.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.RoundStats;
import org.vmlab.api.migration.TimelineSample;
import org.vmlab.experiment.plan.Metrics;
import org.vmlab.experiment.store.CsvFiles;
import org.vmlab.experiment.store.JsonFiles;

/**
 * The files of one run folder: {@code throughput.csv} (seconds, vm, opsPerSecond,
 * bytesPerSecond), {@code marks.csv} (seconds, label), and for each migration step
 * {@code <step>.report.json}, {@code <step>.timeline.csv} on the run's clock and
 * {@code <step>.rounds.csv}; and each series an action recorded, as {@code <name>.csv}.
 */
final class SeriesWriter {
    static final String THROUGHPUT = Metrics.THROUGHPUT + ".csv";
    static final String MARKS = "marks.csv";

    private SeriesWriter() {
    }

    static void write(Path dir, RunContext context, List<ThroughputSample> samples) throws IOException {
        List<List<?>> rows = new ArrayList<>();
        for (ThroughputSample s : samples) {
            rows.add(List.of(round(s.seconds()), s.vm(), s.opsPerSecond(), s.bytesPerSecond()));
        }
        CsvFiles.write(dir.resolve(THROUGHPUT), List.of("seconds", "vm", "opsPerSecond", "bytesPerSecond"), rows);
        List<List<?>> marks = new ArrayList<>();
        for (RunContext.Mark m : context.marks()) {
            marks.add(List.of(round(m.seconds()), m.label()));
        }
        CsvFiles.write(dir.resolve(MARKS), List.of("seconds", "label"), marks);
        for (RunContext.Recorded r : context.reports()) {
            writeReport(dir, r);
        }
        for (RunContext.Series s : context.series()) {
            CsvFiles.write(dir.resolve(s.name() + ".csv"), s.columns(), s.rows());
        }
    }

    private static void writeReport(Path dir, RunContext.Recorded r) throws IOException {
        MigrationReport report = r.report();
        JsonFiles.write(dir.resolve(r.label() + ".report.json"), report);
        List<String> header = new ArrayList<>(List.of("seconds"));
        header.addAll(Metrics.TIMELINE_COLUMNS);
        List<List<?>> rows = new ArrayList<>();
        TimelineSample previous = null;
        for (TimelineSample s : report.timeline()) {
            double dt = previous == null ? s.seconds() : s.seconds() - previous.seconds();
            long sent = previous == null ? s.bytesNetwork() : s.bytesNetwork() - previous.bytesNetwork();
            rows.add(List.of(round(r.startSeconds() + s.seconds()), s.bytesNetwork(), s.bytesSan(),
                    dt > 0 ? sent / dt : 0.0, s.dirtyPagesPerSecond(), s.guestOpsPerSecond(), s.guestBytesPerSecond()));
            previous = s;
        }
        CsvFiles.write(dir.resolve(r.label() + ".timeline.csv"), header, rows);
        List<List<?>> rounds = new ArrayList<>();
        for (RoundStats s : report.roundRows()) {
            rounds.add(List.of(s.round(), s.pagesSent(), s.pagesResent(), s.pagesZero(), s.bytes(), s.durationMs(), s.dirtyPagesAtEnd()));
        }
        CsvFiles.write(dir.resolve(r.label() + ".rounds.csv"),
                List.of("round", "pagesSent", "pagesResent", "pagesZero", "bytes", "durationMs", "dirtyPagesAtEnd"), rounds);
    }

    /** The throughput samples a run folder holds. */
    static List<ThroughputSample> lastSamples(Path dir) {
        try {
            List<ThroughputSample> out = new ArrayList<>();
            for (Map<String, String> row : CsvFiles.read(dir.resolve(THROUGHPUT))) {
                out.add(new ThroughputSample(CsvFiles.number(row, "seconds"), row.get("vm"),
                        CsvFiles.number(row, "opsPerSecond"), CsvFiles.number(row, "bytesPerSecond")));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double round(double seconds) {
        return Math.round(seconds * 1000) / 1000.0;
    }
}
