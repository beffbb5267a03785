package org.vmlab.experiment.run;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.vmlab.api.VmlabException;
import org.vmlab.api.experiment.ActionContext;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.api.vm.VmState;
import org.vmlab.experiment.action.SeriesOutput;

/**
 * One run as its actions see it: the spec's VM names mapped to the VMs created for this run, the
 * clock since warm-up ended, and what the actions record (reports, metrics, marks).
 */
final class RunContext implements ActionContext, SeriesOutput {
    /** A recorded migration report and when its migration started on the run's clock. */
    record Recorded(String label, MigrationReport report, double startSeconds) {
    }

    /** A series an action recorded, written as {@code <name>.csv}. */
    record Series(String name, List<String> columns, List<List<?>> rows) {
    }

    /** A moment on the run's clock. */
    record Mark(double seconds, String label) {
    }

    private final VmDirectory directory;
    private final Map<String, String> names;
    private final Consumer<String> notes;
    private final Map<String, Double> metrics = new LinkedHashMap<>();
    private final List<Mark> marks = new ArrayList<>();
    private final List<Recorded> reports = new ArrayList<>();
    private final List<Series> series = new ArrayList<>();
    private volatile long startNanos = System.nanoTime();

    /**
     * @param names the spec's VM names → the names of the VMs created for this run
     */
    RunContext(VmDirectory directory, Map<String, String> names, Consumer<String> notes) {
        this.directory = directory;
        this.names = Map.copyOf(names);
        this.notes = notes;
    }

    /** Starts the run's clock: warm-up is over. */
    void startClock() {
        startNanos = System.nanoTime();
    }

    Map<String, String> names() {
        return names;
    }

    @Override
    public String step() {
        return "run";
    }

    /** This context as the action of step {@code id} sees it. */
    ActionContext forStep(String id) {
        RunContext run = this;
        final class StepContext implements ActionContext, SeriesOutput {
            @Override
            public String step() {
                return id;
            }

            @Override
            public Vm vm(String name) {
                return run.vm(name);
            }

            @Override
            public double seconds() {
                return run.seconds();
            }

            @Override
            public void report(String label, MigrationReport report) {
                run.report(label, report);
            }

            @Override
            public void metric(String name, double value) {
                run.metric(name, value);
            }

            @Override
            public void mark(String label) {
                run.mark(label);
            }

            @Override
            public void note(String line) {
                run.note(line);
            }

            @Override
            public void series(String name, List<String> columns, List<List<?>> rows) {
                run.series(name, columns, rows);
            }
        }
        return new StepContext();
    }

    @Override
    public Vm vm(String name) {
        String actual = names.get(name);
        if (actual == null) {
            throw new VmlabException("the spec has no VM '" + name + "'");
        }
        return current(directory, actual).orElseThrow(() -> new VmlabException("VM '" + name + "' (" + actual + ") no longer runs"));
    }

    /**
     * The live VM created as {@code specName}: after a migration to this node it is the
     * destination, which keeps the spec's name under another id; running beats migrating beats
     * paused.
     */
    static java.util.Optional<Vm> current(VmDirectory directory, String specName) {
        return directory.vms().stream()
                .filter(v -> v.spec().name().equals(specName))
                .filter(v -> v.state() != VmState.STOPPED && v.state() != VmState.FAILED)
                .min(Comparator.comparingInt(v -> switch (v.state()) {
                    case RUNNING -> 0;
                    case MIGRATING -> 1;
                    default -> 2;
                }));
    }

    @Override
    public double seconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    @Override
    public synchronized void report(String label, MigrationReport report) {
        double start = marks.stream().filter(m -> m.label().equals(label + ".start")).mapToDouble(Mark::seconds)
                .reduce((a, b) -> b).orElse(Math.max(0, seconds() - report.totalTimeMs() / 1000.0));
        reports.add(new Recorded(label, report, start));
        for (String field : org.vmlab.experiment.plan.Metrics.REPORT) {
            metrics.put(label + "." + field, ReportFields.value(report, field));
        }
    }

    @Override
    public synchronized void metric(String name, double value) {
        metrics.put(name, value);
    }

    @Override
    public synchronized void mark(String label) {
        marks.add(new Mark(seconds(), label));
    }

    @Override
    public void note(String line) {
        notes.accept(line);
    }

    @Override
    public synchronized void series(String name, List<String> columns, List<List<?>> rows) {
        series.add(new Series(name, List.copyOf(columns), List.copyOf(rows)));
    }

    synchronized List<Series> series() {
        return List.copyOf(series);
    }

    synchronized Map<String, Double> metrics() {
        return new LinkedHashMap<>(metrics);
    }

    synchronized List<Mark> marks() {
        return List.copyOf(marks);
    }

    synchronized List<Recorded> reports() {
        return List.copyOf(reports);
    }
}
