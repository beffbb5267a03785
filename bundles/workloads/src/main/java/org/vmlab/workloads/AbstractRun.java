package org.vmlab.workloads;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.guest.GuestTask;
import org.vmlab.api.guest.TaskHandle;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.workload.MemoryInvariant;
import org.vmlab.api.workload.ThroughputSample;
import org.vmlab.api.workload.WorkloadRun;

/**
 * What every run shares: its guest tasks on the VM's vCPUs, the once-per-second sampler (the only
 * thread a run owns, named {@code vmlab-workload-<name>-<vm>}), the operation and byte counters
 * the tasks feed, and a stop that waits for a step in progress to finish.
 */
public abstract class AbstractRun implements WorkloadRun {

    /** Prefix of the name of every thread a run starts. */
    public static final String THREAD_PREFIX = "vmlab-workload-";

    private static final Logger LOG = LoggerFactory.getLogger(AbstractRun.class);
    private static final long STOP_WAIT_NANOS = 2_000_000_000L;

    protected final Vm vm;
    private final String workload;
    private final Map<String, String> parameters;
    private final long startMillis = System.currentTimeMillis();
    private final List<ThroughputSample> samples = new CopyOnWriteArrayList<>();
    private final List<TaskHandle> handles = new CopyOnWriteArrayList<>();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    protected final LongAdder ops = new LongAdder();
    protected final LongAdder bytes = new LongAdder();
    private volatile Runnable onStop = () -> { };
    private ScheduledExecutorService sampler;
    private long lastOps;
    private long lastBytes;
    private long lastNanos;

    protected AbstractRun(String workload, Vm vm, Map<String, String> parameters) {
        this.workload = workload;
        this.vm = vm;
        this.parameters = Collections.unmodifiableMap(new java.util.LinkedHashMap<>(parameters));
    }

    /** Submits the tasks and starts the sampler; called once by the workload. */
    final void launch(Runnable onStop) {
        this.onStop = onStop;
        lastNanos = System.nanoTime();
        String threadName = THREAD_PREFIX + workload + "-" + vm.id();
        sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        // Fixed delay: after the sampler was starved, no burst of near-empty catch-up samples.
        sampler.scheduleWithFixedDelay(this::sample, 1000, 1000, TimeUnit.MILLISECONDS);
        try {
            startTasks();
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
    }

    /** Submits the run's guest tasks with {@link #submit}. */
    protected abstract void startTasks();

    /** Releases what the run holds outside the guest (sockets); called once by stop. */
    protected void closeResources() {
    }

    /** Submits one guest task, wrapped so {@link #stop()} can wait for a step in progress. */
    protected final void submit(String name, GuestTask task) {
        GuestTask wrapped = () -> {
            if (stopped.get()) {
                return false;
            }
            inFlight.incrementAndGet();
            try {
                return !stopped.get() && task.step();
            } finally {
                inFlight.decrementAndGet();
            }
        };
        handles.add(vm.vcpus().submit(workload + "-" + name, wrapped));
    }

    private void sample() {
        try {
            if (vm.state().isFinal()) { // destroyed under the run: nothing left to drive
                LOG.info("workload {}: VM {} is {}, stopping the run", workload, vm.id(), vm.state());
                stop();
                return;
            }
            long now = System.nanoTime();
            long o = ops.sum();
            long b = bytes.sum();
            double secs = Math.max(1e-3, (now - lastNanos) / 1e9);
            Requests r = responseTimes();
            double[] latency = r == null ? new double[]{Double.NaN, Double.NaN} : r.percentiles();
            samples.add(new ThroughputSample(System.currentTimeMillis(),
                    Math.max(0, o - lastOps) / secs, Math.max(0, b - lastBytes) / secs, latency[0], latency[1]));
            lastOps = o;
            lastBytes = b;
            lastNanos = now;
            onSample();
            for (TaskHandle h : handles) {
                Optional<Throwable> f = h.failure();
                if (h.isDone() && f.isPresent() && failure.compareAndSet(null, f.get())) {
                    LOG.error("workload {} on VM {}: task {} failed, stopping the run: {}",
                            workload, vm.id(), h.name(), f.get().toString(), f.get());
                    stopTasks();
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("workload {} on VM {}: sampling failed: {}", workload, vm.id(), e.toString());
        }
    }

    /** The response times of a request-driven run, or null for a run that measures none. */
    Requests responseTimes() {
        return null;
    }

    /** Called on the sampler thread after each sample. */
    protected void onSample() {
    }

    private void stopTasks() {
        stopped.set(true);
        for (TaskHandle h : handles) {
            try {
                h.cancel();
            } catch (RuntimeException e) {
                LOG.debug("cancel of {} failed: {}", h.name(), e.toString());
            }
        }
    }

    @Override
    public final void stop() {
        boolean first = !stopped.get();
        stopTasks();
        long deadline = System.nanoTime() + STOP_WAIT_NANOS;
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            Thread.yield();
        }
        ScheduledExecutorService s = sampler;
        if (s != null && !s.isShutdown()) {
            s.shutdownNow();
            if (!Thread.currentThread().getName().startsWith(THREAD_PREFIX)) {
                try {
                    s.awaitTermination(2, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            closeResources();
            onStop.run();
            if (first) {
                LOG.info("workload {} on VM {} stopped after {} ops", workload, vm.id(), ops.sum());
            }
        }
    }

    /** The run's state header in guest memory, or null for a run that keeps none. */
    GuestHeader guestState() {
        return null;
    }

    /**
     * Stops the run and throws its state away: the header is invalidated (so {@code resume}
     * no longer finds it) and the frames go back to the guest OS. {@link #stop()} alone keeps
     * both, so a later resume continues the run.
     */
    public void discard() {
        stop();
        GuestHeader h = guestState();
        if (h == null) {
            return;
        }
        org.vmlab.api.guest.FrameRange region = h.region();
        h.clear();
        vm.guestOs().ifPresent(os -> {
            try {
                os.release(region);
            } catch (RuntimeException e) {
                LOG.warn("workload {} on VM {}: releasing frames {} failed: {}", workload, vm.id(),
                        region, e.toString());
            }
        });
    }

    @Override
    public String workload() {
        return workload;
    }

    @Override
    public Map<String, String> parameters() {
        GuestHeader h = guestState();
        if (h == null) {
            return parameters;
        }
        // Where the guest keeps its state, as a guest's own registers would point at it: a resume
        // elsewhere (migration, restore) goes straight there instead of scanning all memory,
        // which under postcopy would fault in every page.
        Map<String, String> withFrame = new java.util.LinkedHashMap<>(parameters);
        withFrame.put(AbstractWorkload.STATE_FRAME, Long.toString(h.pfn()));
        return Collections.unmodifiableMap(withFrame);
    }

    @Override
    public List<ThroughputSample> samples() {
        return List.copyOf(samples);
    }

    @Override
    public ThroughputSample latest() {
        List<ThroughputSample> s = samples;
        return s.isEmpty() ? new ThroughputSample(startMillis, 0, 0) : s.get(s.size() - 1);
    }

    @Override
    public Optional<MemoryInvariant> invariant() {
        return Optional.empty();
    }

    /** Running: not stopped, no task failed, and some task still has work. */
    @Override
    public boolean isRunning() {
        if (stopped.get() || failure.get() != null || vm.state().isFinal()) {
            return false;
        }
        if (handles.isEmpty()) {
            return true;
        }
        for (TaskHandle h : handles) {
            if (!h.isDone()) {
                return true;
            }
        }
        return false;
    }

    /** What made a task of this run fail, if one did. */
    public Optional<Throwable> failure() {
        Throwable f = failure.get();
        if (f == null) {
            for (TaskHandle h : handles) {
                if (h.failure().isPresent()) {
                    return h.failure();
                }
            }
        }
        return Optional.ofNullable(f);
    }

    /** Operations since this run started (page writes, requests, transactions, iterations). */
    public long totalOps() {
        return ops.sum();
    }

    /** Bytes moved since this run started. */
    public long totalBytes() {
        return bytes.sum();
    }

    public Vm vm() {
        return vm;
    }

    protected final boolean isStopped() {
        return stopped.get();
    }

    /** The handles of the run's tasks (for tests and diagnostics). */
    public List<TaskHandle> tasks() {
        return new ArrayList<>(handles);
    }

    @Override
    public String toString() {
        return workload + " on " + vm.id() + (isRunning() ? " (running)" : " (stopped)");
    }
}
