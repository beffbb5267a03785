package org.vmlab.engines;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPhase;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.PageCacheTransfer;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.migration.RoundStats;
import org.vmlab.api.migration.TimelineSample;
import org.vmlab.api.migration.Verification;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.workload.ThroughputSample;
import org.vmlab.api.workload.WorkloadRun;

/**
 * What one migration measures, as QEMU's {@code migration_update_counters} does for its
 * decisions and {@code query-migrate}: the phases and rounds as they pass (forwarded to the
 * listener), a timeline sample every second, the times of setup, downtime and postcopy, and the
 * report at the end. It decides nothing.
 */
final class Telemetry {
    private static final Logger LOG = LoggerFactory.getLogger(Telemetry.class);

    private final MigrationPlan plan;
    private final String engineName;
    private final Vm vm;
    private final MigrationListener listener;
    private final long t0 = System.nanoTime();
    private final List<RoundStats> rounds = new CopyOnWriteArrayList<>();
    private final List<TimelineSample> timeline = new CopyOnWriteArrayList<>();
    private volatile LongSupplier bytesNetwork = () -> 0;
    private volatile LongSupplier bytesSan = () -> 0;
    private volatile java.util.function.Supplier<PageCacheTransfer> pageCache = () -> PageCacheTransfer.NONE;
    private volatile double dirtyPagesPerSecond;
    /** {ops/s, bytes/s, p99 µs} of the guest as the destination reports it during postcopy, else null. */
    private volatile double[] destinationGuest;
    private volatile long setupNanos = -1;
    private volatile long downtimeNanos = -1;
    private volatile long postcopyNanos;
    private volatile long blockNanos;
    /** Time spent comparing source and destination (--verify): instrumentation, not migration. */
    private volatile long verifyNanos;
    private volatile Verification verification = Verification.NOT_REQUESTED;
    /** Zero pages found before the first round, counted in it: they never cross. */
    private volatile long elidedZero;

    Telemetry(MigrationPlan plan, String engineName, Vm vm, MigrationListener listener) {
        this.plan = plan;
        this.engineName = engineName;
        this.vm = vm;
        this.listener = listener;
    }

    /** Where the network bytes are counted, once the link is up. */
    void countBytes(LongSupplier bytesNetwork) {
        this.bytesNetwork = bytesNetwork;
    }

    /** Counts the SAN path's bytes and the page-cache teleport from now on. */
    void countSan(LongSupplier bytesSan, java.util.function.Supplier<PageCacheTransfer> pageCache) {
        this.bytesSan = bytesSan;
        this.pageCache = pageCache;
    }

    long bytesNetwork() {
        return bytesNetwork.getAsLong();
    }

    void phase(MigrationPhase p) {
        try {
            listener.onPhase(p);
        } catch (RuntimeException e) {
            LOG.debug("listener failed", e);
        }
    }

    /** A round ended: {@code counts} pages in {@code nanos}; {@code dirtyAtEnd} pages still stale. */
    void round(int round, PageSender.Counts counts, long bytes, long nanos, long dirtyAtEnd) {
        long elided = rounds.isEmpty() ? elidedZero : 0;
        RoundStats rs = new RoundStats(round, counts.pages() + elided, counts.resent(), counts.zero() + elided,
                Math.max(0, bytes),
                Math.max(0, nanos / 1_000_000), dirtyAtEnd);
        rounds.add(rs);
        try {
            listener.onRound(rs);
        } catch (RuntimeException e) {
            LOG.debug("listener failed", e);
        }
    }

    /** Zero pages that will not cross at all, counted as sent zero pages of the first round. */
    void elidedZeroPages(long pages) {
        elidedZero = pages;
    }

    void dirtyRate(double pagesPerSecond) {
        dirtyPagesPerSecond = pagesPerSecond;
    }

    /** The guest's throughput as the destination reports it (postcopy); null to use the source's. */
    void destinationGuest(double[] opsAndBytesPerSecond) {
        destinationGuest = opsAndBytesPerSecond;
    }

    /** The end of setup: the first page is about to go. */
    void setupDone() {
        if (setupNanos < 0) {
            setupNanos = System.nanoTime() - t0;
        }
    }

    /**
     * The VM runs again, at the destination, after a pause that began at {@code pauseStart}
     * ({@link System#nanoTime()}); returns the downtime: the pause less the verification done in
     * it (see {@link #verifyTime}).
     */
    long resumed(long pauseStart) {
        long nanos = System.nanoTime() - pauseStart - verifyNanos;
        downtimeNanos = nanos;
        return nanos;
    }

    void postcopyTimes(long postcopy, long block) {
        postcopyNanos = postcopy;
        blockNanos = block;
    }

    void verification(Verification v) {
        verification = v;
    }

    /**
     * Verification took {@code nanos}: left out of the total time as out of the downtime, so a
     * verified run times the same mechanism as an unverified one (QEMU's {@code total-time}, the
     * qemu-native engine's, does not contain its comparison either).
     */
    void verifyTime(long nanos) {
        verifyNanos += nanos;
    }

    /** Takes a timeline sample now and passes it to the listener. */
    void tick() {
        try {
            TimelineSample s = sample();
            timeline.add(s);
            listener.onProgress(s);
        } catch (RuntimeException e) {
            LOG.debug("progress sample failed", e);
        }
    }

    private TimelineSample sample() {
        double[] remote = destinationGuest;
        ThroughputSample local = remote != null ? null : vm.workload().map(WorkloadRun::latest).orElse(null);
        double ops = remote != null ? remote[0] : local == null ? 0 : local.opsPerSecond();
        double bps = remote != null ? remote[1] : local == null ? 0 : local.bytesPerSecond();
        double p99 = remote != null ? remote[2] : local == null ? Double.NaN : local.latencyP99Micros();
        return new TimelineSample((System.nanoTime() - t0) / 1e9, bytesNetwork(), bytesSan.getAsLong(), dirtyPagesPerSecond, ops, bps,
                p99);
    }

    /** The report of the migration as it ended. */
    MigrationReport report(MigrationStatus status, String failure, PageSender.Counts sent, long requested) {
        long total = (System.nanoTime() - t0 - verifyNanos) / 1_000_000;
        List<TimelineSample> tl = new ArrayList<>(timeline);
        try {
            tl.add(sample());
        } catch (RuntimeException ignored) {
            // VM gone
        }
        long zero = 0;
        for (RoundStats r : rounds) {
            zero += r.pagesZero();
        }
        long setup = setupNanos;
        long downtime = downtimeNanos;
        return new MigrationReport(plan.id(), status, plan.engine() == null ? engineName : plan.engine(),
                plan.ordering() == null ? "default" : plan.ordering(), plan.vmId(),
                plan.isLocal() ? MigrationReport.LOCAL : plan.destination().toString(), total,
                setup < 0 ? total : setup / 1_000_000, downtime < 0 ? 0 : downtime / 1_000_000,
                bytesNetwork(), bytesSan.getAsLong(), rounds.size(), sent.pages() + elidedZero, sent.resent(), zero,
                verification, failure, List.copyOf(rounds), tl, postcopyNanos / 1_000_000, requested,
                blockNanos / 1_000_000, pageCache.get());
    }
}
