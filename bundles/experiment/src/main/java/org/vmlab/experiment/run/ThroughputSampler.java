package org.vmlab.experiment.run;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;

/**
 * Samples each VM's guest throughput once a second on the run's clock, following the VM across
 * migrations: the samples of every live VM created under the spec's name are added up, and only
 * those of the last two seconds count, so a paused source adds nothing while its destination
 * runs.
 */
final class ThroughputSampler implements AutoCloseable {
    private static final long FRESH_MS = 2_000;

    private final VmDirectory directory;
    private final RunContext context;
    private final List<ThroughputSample> samples = new ArrayList<>();
    private final ScheduledExecutorService timer;

    ThroughputSampler(VmDirectory directory, RunContext context, String threadName) {
        this.directory = directory;
        this.context = context;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    void start() {
        timer.scheduleAtFixedRate(this::sampleQuietly, 1, 1, TimeUnit.SECONDS);
    }

    /** Takes one sample of every VM now. */
    void sample() {
        long now = System.currentTimeMillis();
        double t = context.seconds();
        List<Vm> all = directory.vms();
        for (Map.Entry<String, String> e : context.names().entrySet()) {
            double ops = 0;
            double bytes = 0;
            for (Vm vm : all) {
                if (!vm.spec().name().equals(e.getValue())) {
                    continue;
                }
                org.vmlab.api.workload.ThroughputSample s = vm.workload().map(w -> w.latest()).orElse(null);
                if (s != null && now - s.epochMillis() <= FRESH_MS) {
                    ops += s.opsPerSecond();
                    bytes += s.bytesPerSecond();
                }
            }
            synchronized (samples) {
                samples.add(new ThroughputSample(t, e.getKey(), ops, bytes));
            }
        }
    }

    private void sampleQuietly() {
        try {
            sample();
        } catch (RuntimeException e) {
            // a VM destroyed between listing and reading: the next second samples again
        }
    }

    List<ThroughputSample> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
