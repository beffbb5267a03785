package org.vmlab.qemu;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.vmlab.api.workload.MemoryInvariant;
import org.vmlab.api.workload.ThroughputSample;
import org.vmlab.api.workload.WorkloadRun;

/**
 * The workload of a QEMU guest as its console shows it: vmlab-memwork's {@code rate} lines become
 * throughput samples (one per report interval), its {@code start} line gives the run's nonce for
 * the {@link MemworkInvariant}, and {@code check} lines are kept as the guest's own verdict. A
 * daemon thread tails the console log four times a second until {@link #stop()}.
 */
final class ConsoleWorkloadRun implements WorkloadRun {
    static final String PREFIX = "vmlab-memwork: ";
    private static final int MAX_SAMPLES = 86_400;

    private final String workload;
    private final Map<String, String> parameters;
    private final ConsoleTail tail;
    private final Thread thread;
    private final long startMillis = System.currentTimeMillis();
    private final List<ThroughputSample> samples = new ArrayList<>();
    private final MemworkInvariant invariant = new MemworkInvariant();
    private volatile boolean running = true;
    private volatile long checksOk;
    private volatile String lastFailure;

    ConsoleWorkloadRun(String vmId, String workload, Map<String, String> parameters, Path consoleLog) {
        this.workload = workload;
        this.parameters = Map.copyOf(parameters);
        this.tail = new ConsoleTail(consoleLog);
        this.thread = new Thread(this::loop, "vmlab-qemu-console-" + vmId);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void loop() {
        while (running) {
            poll();
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Reads what the console got since the last call. */
    synchronized void poll() {
        for (String line : tail.newLines()) {
            int at = line.indexOf(PREFIX);
            if (at >= 0) {
                accept(line.substring(at + PREFIX.length()).strip());
            }
        }
    }

    /** Handles one vmlab-memwork line (without its prefix). */
    synchronized void accept(String body) {
        Map<String, String> kv = keyValues(body);
        if (body.startsWith("rate ")) {
            double mibps = number(kv.get("mibps"));
            if (mibps >= 0 && samples.size() < MAX_SAMPLES) {
                samples.add(new ThroughputSample(System.currentTimeMillis(), mibps * 256, mibps * (1 << 20)));
            }
        } else if (body.startsWith("start ")) {
            String nonce = kv.get("nonce");
            try {
                if (nonce != null) {
                    invariant.expect(Long.parseUnsignedLong(nonce.replaceFirst("^0x", ""), 16),
                            (long) number(kv.get("pages")));
                }
            } catch (NumberFormatException ignored) {
                // a garbled line: the invariant then infers the nonce from memory
            }
        } else if (body.startsWith("check ok")) {
            checksOk++;
        } else if (body.startsWith("check FAILED")) {
            lastFailure = body;
        }
    }

    static Map<String, String> keyValues(String body) {
        Map<String, String> m = new HashMap<>();
        for (String t : body.split("\\s+")) {
            int eq = t.indexOf('=');
            if (eq > 0) {
                m.put(t.substring(0, eq), t.substring(eq + 1));
            }
        }
        return m;
    }

    private static double number(String s) {
        if (s == null) {
            return -1;
        }
        try {
            double d = Double.parseDouble(s.replaceAll("[a-z]+$", ""));
            return Double.isFinite(d) ? d : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public String workload() {
        return workload;
    }

    @Override
    public Map<String, String> parameters() {
        return parameters;
    }

    @Override
    public synchronized List<ThroughputSample> samples() {
        return List.copyOf(samples);
    }

    @Override
    public synchronized ThroughputSample latest() {
        return samples.isEmpty() ? new ThroughputSample(startMillis, 0, 0) : samples.get(samples.size() - 1);
    }

    /**
     * The host's scan of guest RAM for vmlab-memwork's self-describing pages, and the guest's own
     * self-check: a {@code check FAILED} line on this VM's console fails it too.
     */
    @Override
    public Optional<MemoryInvariant> invariant() {
        return Optional.of(memory -> {
            org.vmlab.api.workload.InvariantResult scan = invariant.check(memory);
            String failed = lastFailure;
            if (failed != null) {
                return new org.vmlab.api.workload.InvariantResult(false, scan.pagesChecked(), scan.steps(),
                        scan.firstBadPages(), "the guest's own check failed: " + failed);
            }
            return scan;
        });
    }

    /** The memwork run's nonce and page count, once known. */
    Optional<MemworkInvariant.Expected> expected() {
        return invariant.expected();
    }

    /** Tells the invariant a run's nonce and page count known from elsewhere (a snapshot). */
    void expect(MemworkInvariant.Expected e) {
        invariant.expect(e.nonce(), e.pages());
    }

    /** Self-checks the guest reported as passed. */
    long checksOk() {
        return checksOk;
    }

    /** The guest's last failed self-check line, or null. */
    String lastFailure() {
        return lastFailure;
    }

    @Override
    public void stop() {
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
