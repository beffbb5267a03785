package org.vmlab.shell.experiment;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.vmlab.api.experiment.ExperimentListener;
import org.vmlab.api.experiment.PlannedRun;

/**
 * One terminal line rewritten every second: runs done of total, the current run, time elapsed and
 * an estimate of the time left (from the runs done since this start).
 */
final class ProgressBar implements ExperimentListener, AutoCloseable {
    private static final int WIDTH = 24;

    private final PrintStream out;
    private final int columns;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vmlab-experiment-progress");
        t.setDaemon(true);
        return t;
    });
    private volatile long start = System.nanoTime();
    private volatile int total;
    private volatile int doneBefore;
    private volatile int done;
    private volatile int failed;
    private volatile String current = "";
    private volatile String note = "";

    ProgressBar(PrintStream out, int columns) {
        this.out = out;
        this.columns = columns > 20 ? columns : 100;
        ticker.scheduleAtFixedRate(this::draw, 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public void started(String runId, int total, int done) {
        this.start = System.nanoTime();
        this.total = total;
        this.doneBefore = done;
        this.done = done;
        out.println("Experiment " + runId + ": " + total + " runs" + (done > 0 ? ", " + done + " already done" : ""));
        draw();
    }

    @Override
    public void runStarted(PlannedRun run) {
        current = "run " + (run.index() + 1) + ": " + run.config() + " r" + run.repetition();
        note = "";
        draw();
    }

    @Override
    public void runEnded(PlannedRun run, String failure) {
        done++;
        if (failure != null) {
            failed++;
            out.print("\r\033[K");
            out.println("run " + (run.index() + 1) + " (" + run.config() + " r" + run.repetition() + ") failed: " + failure);
        }
        draw();
    }

    @Override
    public void note(String line) {
        note = line;
    }

    /** The bar as text, without the carriage return; public for tests. */
    String line() {
        double elapsed = (System.nanoTime() - start) / 1e9;
        int n = total == 0 ? 0 : done * WIDTH / total;
        String bar = "#".repeat(n) + "-".repeat(WIDTH - n);
        int doneNow = done - doneBefore;
        String eta = doneNow == 0 ? "?" : clock(elapsed / doneNow * (total - done));
        String text = String.format(Locale.ROOT, "[%s] %d/%d%s  %s  %s elapsed, ~%s left  %s", bar, done, total,
                failed > 0 ? " (" + failed + " failed)" : "", current, clock(elapsed), eta, note);
        return text.length() > columns - 1 ? text.substring(0, columns - 1) : text;
    }

    private synchronized void draw() {
        out.print("\r\033[K" + line());
        out.flush();
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        out.print("\r\033[K");
        out.flush();
    }
}
