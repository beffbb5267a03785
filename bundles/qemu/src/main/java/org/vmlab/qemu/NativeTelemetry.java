package org.vmlab.qemu;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPhase;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.migration.RoundStats;
import org.vmlab.api.migration.TimelineSample;
import org.vmlab.api.migration.Verification;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.workload.ThroughputSample;

/**
 * What a qemu-native migration measures and tells: phases, rounds (one per QEMU dirty sync) and a
 * timeline sample about once a second to the listener, and the report from QEMU's own figures
 * ({@code query-migrate}). A listener that throws is logged and the migration goes on.
 */
final class NativeTelemetry {
    private static final Logger LOG = LoggerFactory.getLogger(NativeTelemetry.class);
    private static final long SAMPLE_NANOS = 1_000_000_000L;

    private final MigrationPlan plan;
    private final Vm vm;
    private final MigrationListener listener;
    private final long t0 = System.nanoTime();
    private final List<TimelineSample> timeline = new ArrayList<>();
    private final List<RoundStats> rounds = new ArrayList<>();
    private long nextSample;
    private long lastSync;
    private long lastBytes;
    private long roundStart;

    NativeTelemetry(MigrationPlan plan, Vm vm, MigrationListener listener) {
        this.plan = plan;
        this.vm = vm;
        this.listener = listener;
    }

    void phase(MigrationPhase p) {
        try {
            listener.onPhase(p);
        } catch (RuntimeException e) {
            LOG.debug("listener failed", e);
        }
    }

    /** QEMU's migration starts now: the first round and the first second begin. */
    void migrationStarted() {
        long now = System.nanoTime();
        nextSample = now + SAMPLE_NANOS;
        roundStart = now;
        lastSync = 0;
        lastBytes = 0;
    }

    /** A round ends at each new dirty sync in a {@code ram} answer of query-migrate. */
    void countRounds(Map<String, Object> ram) {
        long sync = Json.num(ram, "dirty-sync-count", 0);
        long bytes = Json.num(ram, "transferred", 0);
        if (sync > lastSync) {
            if (lastSync > 0) {
                long now = System.nanoTime();
                long pages = Math.max(0, (bytes - lastBytes) / Pages.SIZE);
                roundDone(new RoundStats((int) lastSync - 1, pages, lastSync > 1 ? pages : 0, 0,
                        Math.max(0, bytes - lastBytes), (now - roundStart) / 1_000_000,
                        Json.num(ram, "remaining", 0) / Pages.SIZE));
                roundStart = now;
                lastBytes = bytes;
            }
            lastSync = sync;
        }
    }

    /** A timeline sample from a {@code ram} answer, if a second has passed since the last one. */
    void sample(Map<String, Object> ram) {
        long now = System.nanoTime();
        if (now >= nextSample) {
            long bytes = Json.num(ram, "transferred", 0);
            ThroughputSample g = vm.workload().map(w -> w.latest()).orElse(null);
            TimelineSample s = new TimelineSample((now - t0) / 1e9, Math.max(0, bytes), 0,
                    Math.max(0, Json.num(ram, "dirty-pages-rate", 0)),
                    g == null ? 0 : g.opsPerSecond(), g == null ? 0 : g.bytesPerSecond());
            timeline.add(s);
            try {
                listener.onProgress(s);
            } catch (RuntimeException e) {
                LOG.debug("listener failed", e);
            }
            nextSample += SAMPLE_NANOS;
        }
    }

    private void roundDone(RoundStats r) {
        rounds.add(r);
        try {
            listener.onRound(r);
        } catch (RuntimeException e) {
            LOG.debug("listener failed", e);
        }
    }

    private String destinationText() {
        return plan.isLocal() ? MigrationReport.LOCAL : plan.destination().toString();
    }

    /** The report from QEMU's last query-migrate answer {@code st}. */
    MigrationReport report(Map<String, Object> st, MigrationStatus status, Verification verified, String why) {
        Map<String, Object> ram = Json.obj(st, "ram");
        long normal = Json.num(ram, "normal", 0);
        long zero = Json.num(ram, "duplicate", 0);
        long sent = normal + zero;
        long pageCount = vm.memory().pageCount();
        long total = Json.num(st, "total-time", (System.nanoTime() - t0) / 1_000_000);
        return new MigrationReport(plan.id(), status, QemuNativeEngine.NAME, String.valueOf(plan.ordering()),
                vm.id(), destinationText(), Math.max(0, total), Math.max(0, Json.num(st, "setup-time", 0)),
                Math.max(0, Json.num(st, "downtime", 0)), Math.max(0, Json.num(ram, "transferred", 0)), 0,
                (int) Math.max(0, Json.num(ram, "dirty-sync-count", 0)), sent,
                Math.max(0, Math.min(sent, sent - pageCount)), Math.min(zero, sent), verified, why,
                rounds, timeline);
    }

    /** The report of a migration that failed before QEMU moved anything. */
    MigrationReport failedBeforeQemu(MigrationStatus status, Verification verdict, String why) {
        long ms = (System.nanoTime() - t0) / 1_000_000;
        return new MigrationReport(plan.id(), status, QemuNativeEngine.NAME, String.valueOf(plan.ordering()), vm.id(),
                destinationText(), ms, 0, 0, 0, 0, rounds.size(), 0, 0, 0, verdict, why, rounds, timeline);
    }
}
