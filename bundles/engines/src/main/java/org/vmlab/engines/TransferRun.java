package org.vmlab.engines;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.memory.DirtyLog;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.migration.MigrationContext;
import org.vmlab.api.migration.MigrationPhase;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.vm.Vm;

/**
 * One migration, source side, for the engines that move memory over vmlab's data plane; it
 * decides which phase runs and how the run ends, as QEMU's {@code migration.c} does, while the
 * phases do the work: {@link PrecopyRounds} while the guest runs, then, with the guest paused,
 * {@link PrecopySwitchover} (the VM resumes at the destination with all its memory) or
 * {@link OutgoingPostcopy} (it resumes at once and the rest follows).
 *
 * <p>The engines differ only in the {@link Shape} they give. After a successful migration the
 * source VM is destroyed (it has moved). A failure before the commit leaves the source running as
 * it was. After the commit the VM may run at the destination, so a failure then leaves the source
 * paused, never running twice.
 */
final class TransferRun {
    private static final Logger LOG = LoggerFactory.getLogger(TransferRun.class);

    /**
     * How a run moves memory.
     *
     * @param precopyRounds the most precopy rounds (0 = none: pure postcopy)
     * @param rule          what ends precopy before that
     * @param postcopy      whether the switchover is postcopy
     */
    record Shape(int precopyRounds, SwitchoverRule.Kind rule, boolean postcopy) {
    }

    private final String engineName;
    private final List<Parameter> engineOptions;
    private final Function<EngineOptions, Shape> shapes;
    private final MigrationPlan plan;
    private final MigrationContext ctx;
    private final MigrationReceiver receiver;
    private final Vm vm;
    private final GuestMemory memory;
    private final Telemetry telemetry;

    /**
     * @param engineOptions the options the engine takes (checked with the ordering's before anything moves)
     * @param shapes        the engine's shape for the options given
     */
    TransferRun(String engineName, List<Parameter> engineOptions, Function<EngineOptions, Shape> shapes,
                MigrationPlan plan, MigrationContext ctx, MigrationReceiver receiver) {
        this.engineName = engineName;
        this.engineOptions = engineOptions;
        this.shapes = shapes;
        this.plan = plan;
        this.ctx = ctx;
        this.receiver = receiver;
        this.vm = ctx.vm();
        this.memory = vm.memory();
        this.telemetry = new Telemetry(plan, engineName, vm, ctx.listener());
    }

    MigrationReport run() {
        SourceLink link = null;
        PageSender sender = null;
        ScheduledExecutorService ticker = null;
        PrecopyRounds rounds = null;
        PrecopySwitchover switchover = null;
        boolean dirtyLogStarted = false;
        boolean paused = false;
        try {
            telemetry.phase(MigrationPhase.SETUP);
            EngineOptions options = EngineOptions.of(engineName, engineOptions, ctx.ordering().options(), plan);
            Shape shape = shapes.apply(options);
            long openStart = System.nanoTime();
            link = SourceLink.open(receiver, plan, vm, shape.postcopy(), "vmlab-" + engineName + "-" + plan.id());
            LOG.debug("migration {}: destination ready in {} ms", plan.id(), (System.nanoTime() - openStart) / 1_000_000);
            telemetry.countBytes(link::bytesSent);
            ticker = startTicker(link);
            DropCache.applyIfAsked(plan, vm); // frames freed before logging: nothing to send or re-send
            DirtyLog log = memory.dirtyLog();
            long logStart = System.nanoTime();
            log.start();
            dirtyLogStarted = true;
            LOG.debug("migration {}: dirty log started in {} ms", plan.id(), (System.nanoTime() - logStart) / 1_000_000);
            sender = new PageSender(memory, link, plan.compress(), ctx::isCancelled, telemetry::setupDone);
            Outgoing out = new Outgoing(engineName, plan, ctx, options, vm, link, sender,
                    new StalePages(memory.pageCount()), new ArrayPageHistory(memory.pageCount()), log,
                    new PageOrder(ctx.ordering(), plan.ordering()), telemetry);
            elideZeroPages(out);
            Teleport teleport = startTeleport(out, shape);
            int round = 0;
            if (shape.precopyRounds() > 0) {
                rounds = new PrecopyRounds(out, new SwitchoverRule(shape.rule(), plan.downtimeLimit(),
                        Math.min(shape.precopyRounds(), plan.maxRounds())), teleport);
                round = rounds.run();
            }
            out.checkCancelled();
            telemetry.setupDone(); // pure postcopy: setup ends where the switchover begins
            telemetry.phase(MigrationPhase.SWITCHOVER);
            telemetry.tick(); // the guest as it ran just before the pause
            long pauseStart = System.nanoTime();
            vm.pause();
            paused = true;
            if (shape.postcopy()) {
                new OutgoingPostcopy(out).run(round, pauseStart);
            } else {
                switchover = new PrecopySwitchover(out, receiver.incomingVm(link.destVmId()));
                switchover.run(round, pauseStart);
            }
            stop(ticker, link, log, rounds);
            safe(vm::endMigration);
            // The VM runs at the destination: freeing the source's memory is not migration time.
            MigrationReport done = report(MigrationStatus.COMPLETED, null, sender);
            safe(vm::destroy); // the VM has moved
            return done;
        } catch (Failures.PastCommit e) {
            return pastCommit(e.getMessage(), ticker, link, dirtyLogStarted, rounds, sender);
        } catch (Exception | Error e) {
            String failure = Failures.reason(e);
            if (switchover != null && switchover.committed()) {
                return pastCommit("destination did not confirm the resume after commit: " + failure
                        + "; the source VM stays paused", ticker, link, dirtyLogStarted, rounds, sender);
            }
            boolean cancelled = e instanceof Failures.Cancelled || ctx.isCancelled();
            if (!cancelled) {
                LOG.warn("migration {} failed: {}", plan.id(), failure);
            }
            if (link != null) {
                link.abort(failure);
            }
            stop(ticker, link, dirtyLogStarted ? memory.dirtyLog() : null, rounds);
            if (paused) {
                safe(vm::resume);
            }
            safe(vm::endMigration);
            return report(cancelled ? MigrationStatus.CANCELLED : MigrationStatus.FAILED,
                    e instanceof Failures.Cancelled ? "cancelled by the user" : failure, sender);
        } finally {
            if (ticker != null) {
                ticker.shutdownNow();
            }
            if (sender != null) {
                sender.close();
            }
            if (link != null) {
                link.close();
            }
        }
    }

    /** The VM may run at the destination: the source stays paused, its memory the last full copy. */
    private MigrationReport pastCommit(String why, ScheduledExecutorService ticker, SourceLink link,
                                       boolean dirtyLogStarted, PrecopyRounds rounds, PageSender sender) {
        LOG.error("migration {}: {}", plan.id(), why);
        stop(ticker, link, dirtyLogStarted ? memory.dirtyLog() : null, rounds);
        safe(vm::endMigration);
        return report(MigrationStatus.FAILED, why, sender);
    }

    /** Ends what runs beside the transfer: the ticker, the connections, dirty logging, throttling. */
    private void stop(ScheduledExecutorService ticker, SourceLink link, DirtyLog log, PrecopyRounds rounds) {
        if (ticker != null) {
            ticker.shutdownNow();
        }
        if (link != null) {
            link.close();
        }
        if (log != null) {
            safe(log::stop);
        }
        if (rounds != null && rounds.throttle() > 0) {
            safe(() -> vm.throttle(0));
        }
    }

    /** A timeline sample every second, and PINGs that keep idle connections alive. */
    private ScheduledExecutorService startTicker(SourceLink link) {
        ScheduledExecutorService t = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread th = new Thread(r, "vmlab-" + engineName + "-tick-" + plan.id());
            th.setDaemon(true);
            return th;
        });
        // Fixed delay, not rate: a ticker starved for seconds (guest threads busy on every core)
        // must not catch up with a burst of samples all taken at the same instant.
        t.scheduleWithFixedDelay(telemetry::tick, 1000, 1000, TimeUnit.MILLISECONDS);
        long period = Math.max(100, Math.min(1000, receiver.settings().timeout().toMillis() / 4));
        t.scheduleWithFixedDelay(link::keepAlive, period, period, TimeUnit.MILLISECONDS);
        return t;
    }

    /**
     * Zero pages need not cross: the destination's fresh memory is zero. They are found at memory
     * bandwidth before the first round; one the guest writes afterwards is in the dirty log.
     */
    private void elideZeroPages(Outgoing out) {
        long start = System.nanoTime();
        PageSet zero = ZeroScan.of(memory, ctx::isCancelled);
        out.stale().clear(zero);
        telemetry.elidedZeroPages(zero.size());
        LOG.debug("migration {}: {} zero pages found in {} ms", plan.id(), zero.size(),
                (System.nanoTime() - start) / 1_000_000);
    }

    /** The page-cache teleport when the plan names a detector; null otherwise. */
    private Teleport startTeleport(Outgoing out, Shape shape) throws Exception {
        if (ctx.detector().isEmpty()) {
            if (plan.san() != null) {
                throw new VmlabException("a SAN path needs a page-cache detector (--detector) to know what to read from it");
            }
            return null;
        }
        if (shape.precopyRounds() == 0) {
            throw new VmlabException("page-cache teleport needs precopy rounds: use precopy or hybrid, not " + engineName);
        }
        Teleport t = Teleport.start(out, ctx.detector().get());
        telemetry.countSan(t::bytesSan, t::transfer);
        return t;
    }

    private MigrationReport report(MigrationStatus status, String failure, PageSender sender) {
        return telemetry.report(status, failure, sender == null ? PageSender.Counts.NONE : sender.counts(),
                sender == null ? 0 : sender.requested());
    }

    private static void safe(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("migration cleanup step failed: {}", e.getMessage());
        }
    }
}
