package org.vmlab.experiment.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.experiment.ActionContext;
import org.vmlab.api.experiment.ExperimentAction;
import org.vmlab.api.experiment.PlannedRun;
import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationService;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.experiment.plan.RunConfig;
import org.vmlab.experiment.plan.Step;
import org.vmlab.experiment.plan.VmPlan;
import org.vmlab.experiment.store.RunRecord;

/**
 * Carries out one planned run: creates its VMs, lets them warm up, does the steps on the run's
 * clock while sampling guest throughput, and always cleans up (migrations cancelled, VMs
 * destroyed, disk images deleted), whether the run completed, failed, timed out or was
 * interrupted.
 */
final class RunExecutor {
    private static final Logger LOG = LoggerFactory.getLogger(RunExecutor.class);
    private static final Duration CLEANUP_WAIT = Duration.ofSeconds(60);

    private final VmDirectory directory;
    private final MigrationService migrations;
    private final Map<String, ExperimentAction> actions;

    /** @param migrations may be {@code null} where live migration is not installed */
    RunExecutor(VmDirectory directory, MigrationService migrations, Map<String, ExperimentAction> actions) {
        this.directory = directory;
        this.migrations = migrations;
        this.actions = Map.copyOf(actions);
    }

    /**
     * Runs {@code run} in {@code dir}, at most {@code timeout}.
     *
     * @param tag makes this run's VM names unique on the node
     * @throws InterruptedException if the caller was interrupted; the run was cleaned up first
     */
    RunRecord execute(PlannedRun run, RunConfig config, Duration warmup, Duration timeout, Path dir, String tag,
                      Consumer<String> notes) throws InterruptedException {
        Map<String, String> names = new LinkedHashMap<>();
        for (VmPlan vm : config.vms()) {
            names.put(vm.name(), vm.name() + "-" + tag);
        }
        RunContext context = new RunContext(directory, names, notes);
        Instant started = Instant.now();
        ExecutorService body = Executors.newSingleThreadExecutor(r -> new Thread(r, "vmlab-experiment-run-" + tag));
        Future<?> f = body.submit(() -> {
            try (ThroughputSampler sampler = new ThroughputSampler(directory, context, "vmlab-experiment-sampler-" + tag)) {
                try {
                    steps(run, config, warmup, dir, context, sampler);
                } finally {
                    sampler.close();
                    cleanUp(names.values(), dir);
                    SeriesWriter.write(dir, context, sampler.samples());
                }
            }
            return null;
        });
        String failure = null;
        try {
            f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            failure = "timed out after " + timeout.toSeconds() + " s (the spec's timeout)";
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            failure = c instanceof VmlabException || c instanceof IllegalArgumentException ? c.getMessage()
                    : c.getClass().getSimpleName() + ": " + c.getMessage();
            LOG.info("experiment run {} failed: {}", run.folderName(), failure, c);
        } catch (InterruptedException e) {
            f.cancel(true);
            awaitEnd(body);
            throw e;
        } finally {
            body.shutdown();
        }
        awaitEnd(body);
        Map<String, Double> metrics = context.metrics();
        metrics.putAll(GuestMetrics.of(context, SeriesWriter.lastSamples(dir)));
        return new RunRecord(run.index(), run.folderName(), run.config(), run.values(), run.repetition(), run.baseline(),
                failure == null ? RunRecord.COMPLETED : RunRecord.FAILED, failure, started.toString(),
                Instant.now().toString(), metrics);
    }

    private void steps(PlannedRun run, RunConfig config, Duration warmup, Path dir, RunContext context,
                       ThroughputSampler sampler) throws Exception {
        for (VmPlan vm : config.vms()) {
            Path disk = vm.diskBytes() > 0 ? dir.resolve(vm.name() + ".img") : null;
            if (vm.randomDisk()) {
                context.note("filling the disk of " + vm.name());
                DiskFill.random(disk, vm.diskBytes());
            }
            VmSpec spec = new VmSpec(context.names().get(vm.name()), vm.backend() == null ? directory.backends().get(0) : vm.backend(),
                    vm.memoryBytes(), vm.vcpus(), disk, vm.diskBytes(), vm.workload(), vm.params(), List.of());
            context.note("creating VM " + vm.name());
            directory.create(spec);
        }
        if (!warmup.isZero()) {
            context.note("warming up for " + warmup.toMillis() / 1000.0 + " s");
            Thread.sleep(warmup.toMillis());
        }
        context.startClock();
        sampler.sample();
        sampler.start();
        Map<String, CompletableFuture<Void>> background = new LinkedHashMap<>();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (Step step : config.steps()) {
            if (step.at() != null) {
                long waitMs = step.at().toMillis() - (long) (context.seconds() * 1000);
                if (waitMs > 0) {
                    Thread.sleep(waitMs);
                }
            }
            if (step.when() != null) {
                awaitCondition(step, context);
            }
            switch (step.kind()) {
                case Step.WAIT -> Thread.sleep(step.duration().toMillis());
                case Step.AWAIT -> join(background.get(step.awaits()));
                default -> {
                    ExperimentAction action = actions.get(step.kind());
                    if (action == null) {
                        throw new VmlabException("action '" + step.kind() + "' was uninstalled during the experiment");
                    }
                    context.note(step.id() + ": " + step.kind() + " " + step.settings());
                    Map<String, String> settings = step.settings();
                    ActionContext stepContext = context.forStep(step.id());
                    if (step.async()) {
                        CompletableFuture<Void> bg = CompletableFuture.runAsync(() -> {
                            try {
                                action.run(stepContext, settings);
                            } catch (Exception e) {
                                throw new java.util.concurrent.CompletionException(e);
                            }
                        }, r -> {
                            Thread t = new Thread(r, "vmlab-experiment-" + step.id());
                            t.setDaemon(true);
                            t.start();
                        });
                        background.put(step.id(), bg);
                        all.add(bg);
                    } else {
                        action.run(stepContext, settings);
                    }
                }
            }
        }
        for (CompletableFuture<Void> bg : all) {
            join(bg);
        }
        sampler.sample();
    }

    private static void join(CompletableFuture<Void> f) throws Exception {
        try {
            f.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause() instanceof java.util.concurrent.CompletionException ce ? ce.getCause() : e.getCause();
            throw c instanceof Exception ex ? ex : new VmlabException(String.valueOf(c), c);
        }
    }

    private void awaitCondition(Step step, RunContext context) throws InterruptedException {
        long deadline = System.nanoTime() + step.when().timeout().toNanos();
        while (true) {
            double ops = context.vm(step.when().vm()).workload().map(w -> w.latest().opsPerSecond()).orElse(0.0);
            if (step.when().holds(ops)) {
                context.mark(step.id() + ".when");
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new VmlabException("step " + step.id() + ": VM " + step.when().vm() + "'s throughput (" + Math.round(ops)
                        + " ops/s) did not reach the condition within " + step.when().timeout().toSeconds() + " s");
            }
            Thread.sleep(200);
        }
    }

    /** Cancels the run's migrations and destroys its VMs (destinations included) and disks. */
    private void cleanUp(java.util.Collection<String> specNames, Path dir) {
        if (migrations != null) {
            for (Migration m : migrations.migrations()) {
                boolean ours = specNames.stream().anyMatch(n -> m.plan().vmId().startsWith(n));
                if (ours && !m.status().isFinal()) {
                    m.cancel();
                    try {
                        m.result().toCompletableFuture().get(CLEANUP_WAIT.toSeconds(), TimeUnit.SECONDS);
                    } catch (Exception e) {
                        LOG.warn("migration {} did not end after cancel: {}", m.id(), e.toString());
                    }
                }
            }
        }
        for (Vm vm : directory.vms()) {
            if (specNames.contains(vm.spec().name())) {
                try {
                    vm.destroy();
                } catch (RuntimeException e) {
                    LOG.warn("cannot destroy VM {}: {}", vm.id(), e.getMessage());
                }
            }
        }
        try (var s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".img")).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warn("cannot delete the disk images in {}: {}", dir, e.getMessage());
        }
    }

    private static void awaitEnd(ExecutorService body) throws InterruptedException {
        body.shutdown();
        if (!body.awaitTermination(CLEANUP_WAIT.toSeconds() * 2, TimeUnit.SECONDS)) {
            LOG.warn("an experiment run did not end within {} s of being stopped", CLEANUP_WAIT.toSeconds() * 2);
        }
    }
}
