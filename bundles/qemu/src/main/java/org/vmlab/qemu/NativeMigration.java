package org.vmlab.qemu;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.migration.MigrationContext;
import org.vmlab.api.migration.MigrationPhase;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.migration.NativeTunnel;
import org.vmlab.api.migration.NativeTunnels;
import org.vmlab.api.migration.Verification;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.parameter.ParameterSet;
import org.vmlab.api.parameter.ParameterValues;
import org.vmlab.api.vm.Vm;

/**
 * One migration by {@link QemuNativeEngine}: checks the plan, sets up the destination QEMU (on
 * this node, or on another through vmlab's tunnel), follows QEMU's migration, verifies, and hands
 * the guest over; on failure the source runs on and the destination goes.
 */
final class NativeMigration {
    private static final Logger LOG = LoggerFactory.getLogger(NativeMigration.class);
    private static final Duration T = QemuVm.QMP_TIMEOUT;

    private final QemuNativeEngine engine;
    private final MigrationPlan plan;
    private final MigrationContext ctx;
    private final Vm vm;
    private final NativeTelemetry telemetry;
    private QemuVm dst;
    /** The tunnel to another node's QEMU, for a remote plan. */
    private NativeTunnel tunnel;
    /** COMMIT went to the destination node: from then on the destination may run the guest. */
    private boolean commitSent;
    private boolean sourceMigrating;
    private Verification verdict = Verification.NOT_REQUESTED;
    /** The latest query-migrate answer of the source, once QEMU's migration runs. */
    private Map<String, Object> lastQuery;
    /** QEMU was told to switch to postcopy: from then on the destination may run the guest. */
    private boolean postcopyStarted;

    NativeMigration(QemuNativeEngine engine, MigrationPlan plan, MigrationContext ctx) {
        this.engine = engine;
        this.plan = plan;
        this.ctx = ctx;
        this.vm = ctx.vm();
        this.telemetry = new NativeTelemetry(plan, vm, ctx.listener());
    }

    private MigrationReport failed(MigrationStatus status, String why) {
        cleanupAfterFailure();
        if (postcopyStarted && vm instanceof QemuVm src && !src.vcpusRunning()) {
            why += "; the source stays paused: QEMU had switched to postcopy, so the destination may"
                    + " have run the guest and QEMU will not resume the source";
        }
        if (commitSent && vm instanceof QemuVm src && !src.state().isFinal()) {
            why += "; the source stays paused: the destination node got the commit and may run the guest";
        }
        if (lastQuery != null) {
            // QEMU got as far as moving memory: its figures say how far, next to why it failed.
            return telemetry.report(lastQuery, status, verdict, why);
        }
        return telemetry.failedBeforeQemu(status, verdict, why);
    }

    MigrationReport run() {
        Optional<String> no = engine.unsupportedReason(vm);
        if (no.isPresent()) {
            return failed(MigrationStatus.FAILED, no.get());
        }
        QemuBackend b = engine.backend();
        if (b == null) {
            return failed(MigrationStatus.FAILED, "the qemu backend is not available");
        }
        ParameterValues options;
        try {
            options = ParameterSet.options("engine '" + QemuNativeEngine.NAME + "'", QemuNativeEngine.OPTIONS)
                    .validate(plan.options());
        } catch (IllegalArgumentException e) {
            return failed(MigrationStatus.FAILED, e.getMessage());
        }
        NativeTunnels t = engine.tunnels(); // bound for this migration
        if (!plan.isLocal()) {
            if (plan.streams() > 1) {
                return failed(MigrationStatus.FAILED, "qemu-native to another node takes one stream, not "
                        + plan.streams() + ": multifd needs a connection per channel, and vmlab's tunnel carries one");
            }
            if (options.bool("postcopy-ram")) {
                return failed(MigrationStatus.FAILED, "qemu-native to another node cannot do postcopy-ram:"
                        + " it needs a return path from the destination QEMU, which vmlab's tunnel does not carry");
            }
            if (t == null) {
                return failed(MigrationStatus.FAILED, "qemu-native to another node needs vmlab's migration"
                        + " tunnel (feature vmlab-engines), which is not running on this node");
            }
        }
        if (options.bool("postcopy-ram")) {
            Optional<String> why = QemuNativeEngine.postcopyUnsupported(b.settings().runRoot());
            if (why.isPresent()) {
                return failed(MigrationStatus.FAILED, why.get());
            }
        }
        QemuVm src = (QemuVm) vm;
        try {
            phase(MigrationPhase.SETUP);
            Map<String, Boolean> caps = new LinkedHashMap<>();
            caps.put("x-ignore-shared", false); // QEMU moves the RAM itself here
            caps.put("events", true);
            for (Parameter o : QemuNativeEngine.OPTIONS) {
                caps.put(o.name(), options.bool(o.name()));
            }
            caps.put("multifd", plan.streams() > 1);
            if (!plan.isLocal()) {
                return remote(src, caps, t);
            }
            dst = b.prepareNativeIncoming(src.spec(), plan.verify());
            src.setCapabilities(caps);
            dst.setCapabilities(caps);
            if (plan.streams() > 1) {
                Map<String, Object> p = Map.of("multifd-channels", plan.streams());
                src.qmp().execute("migrate-set-parameters", p, T);
                dst.qmp().execute("migrate-set-parameters", p, T);
            }
            String uri = "tcp:127.0.0.1:" + QemuNativeEngine.freePort();
            dst.qmp().execute("migrate-incoming", Map.of("uri", uri), T);
            Map<String, Object> last = migrateTo(src, uri, caps.get("postcopy-ram"));
            MigrationReport unfinished = unlessCompleted(last, null);
            if (unfinished != null) {
                return unfinished;
            }
            dst.awaitMigration("receiving the migration");
            Verification verified = Verification.NOT_REQUESTED;
            if (plan.verify()) {
                phase(MigrationPhase.VERIFY);
                String bad = QemuNativeEngine.compareMemory(src.memory(), dst.memory());
                if (bad != null) {
                    // The source is intact (stopped in postmigrate): it runs on, the copy goes.
                    verdict = Verification.FAILED;
                    return failed(MigrationStatus.FAILED, "verification failed: " + bad);
                }
                verified = Verification.PASSED;
                dst.qmp().execute("cont", null, T);
            }
            dst.nativeIncomingDone();
            dst.endMigration();
            return handedOver(src, last, verified);
        } catch (RuntimeException e) {
            LOG.warn("migration {} of VM '{}' failed: {}", plan.id(), vm.id(), e.toString());
            return failed(MigrationStatus.FAILED, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /**
     * To another node: the destination node's QEMU gets the same capabilities through the
     * tunnel's open request and waits paused; the source QEMU migrates into the tunnel's
     * loopback port. After QEMU completes, the destination confirms it loaded everything, the
     * hashes are compared (verify), and COMMIT resumes it there.
     */
    private MigrationReport remote(QemuVm src, Map<String, Boolean> caps, NativeTunnels t) {
        Map<String, String> settings = new LinkedHashMap<>();
        caps.forEach((k, v) -> settings.put(QemuNativeIncoming.CAPABILITY + k, v.toString()));
        tunnel = t.open(plan.destination(), src.spec(), settings, plan.network().rate());
        src.setCapabilities(caps);
        Map<String, Object> last = migrateTo(src, "tcp:127.0.0.1:" + tunnel.localPort(), false);
        MigrationReport unfinished = unlessCompleted(last, tunnel.failure().orElse(null));
        if (unfinished != null) {
            return unfinished;
        }
        tunnel.awaitLoaded(QemuNativeEngine.REMOTE_LOAD_TIMEOUT);
        Verification verified = Verification.NOT_REQUESTED;
        if (plan.verify()) {
            phase(MigrationPhase.VERIFY);
            String bad = QemuNativeEngine.compareHashes(src.memory(), tunnel.remotePageHashes());
            if (bad != null) {
                verdict = Verification.FAILED;
                return failed(MigrationStatus.FAILED, "verification failed: " + bad);
            }
            verified = Verification.PASSED;
        }
        commitSent = true;
        tunnel.commit();
        tunnel = null;
        return handedOver(src, last, verified);
    }

    /** Sets the link's limits on the source QEMU, starts its migration to {@code uri} and follows it. */
    private Map<String, Object> migrateTo(QemuVm src, String uri, boolean postcopy) {
        long bw = plan.network().rate().bytesPerSecond();
        src.qmp().execute("migrate-set-parameters", Map.of(
                "max-bandwidth", bw > 0 ? bw : QemuNativeEngine.UNLIMITED_BANDWIDTH,
                "downtime-limit", Math.max(1, plan.downtimeLimit().toMillis())), T);
        sourceMigrating = true;
        src.qmp().execute("migrate", Map.of("uri", uri), T);
        telemetry.migrationStarted();
        phase(MigrationPhase.PRECOPY);
        return poll(src, postcopy);
    }

    /**
     * The report of a QEMU migration that ended without completing (cancelled or failed;
     * {@code why} overrides QEMU's own error), or null when it completed and switchover begins.
     */
    private MigrationReport unlessCompleted(Map<String, Object> last, String why) {
        String status = Json.str(last, "status");
        if ("cancelled".equals(status) || ctx.isCancelled()) {
            return failed(MigrationStatus.CANCELLED, "cancelled by the user");
        }
        if (!"completed".equals(status)) {
            String err = why != null ? why : Json.str(last, "error-desc");
            return failed(MigrationStatus.FAILED, "QEMU migration " + status + (err != null ? ": " + err : ""));
        }
        phase(MigrationPhase.SWITCHOVER);
        return null;
    }

    /** The guest runs at the destination: the source goes, as with every engine. */
    private MigrationReport handedOver(QemuVm src, Map<String, Object> last, Verification verified) {
        sourceMigrating = false;
        QemuNativeEngine.safe(src::endMigration);
        QemuNativeEngine.safe(src::destroy);
        phase(MigrationPhase.DONE);
        return telemetry.report(last, MigrationStatus.COMPLETED, verified, null);
    }

    /** Polls query-migrate: every 100 ms for the state, a timeline sample about once a second. */
    private Map<String, Object> poll(QemuVm src, boolean postcopy) {
        while (true) {
            Map<String, Object> st = src.qmp().execute("query-migrate", null, T);
            lastQuery = st;
            String status = Json.str(st, "status");
            Map<String, Object> ram = Json.obj(st, "ram");
            long sync = Json.num(ram, "dirty-sync-count", 0);
            telemetry.countRounds(ram);
            if (postcopy && !postcopyStarted && sync >= 2 && "active".equals(status)) {
                src.qmp().execute("migrate-start-postcopy", null, T);
                postcopyStarted = true;
                phase(MigrationPhase.POSTCOPY);
            }
            if ("completed".equals(status)) {
                return settled(src, st);
            }
            if ("failed".equals(status) || "cancelled".equals(status)) {
                return st;
            }
            if (ctx.isCancelled()) {
                src.qmp().execute("migrate_cancel", null, T);
            }
            if (!src.process().isAlive()) {
                throw new IllegalStateException("the source QEMU died: " + src.process().lastLines(3));
            }
            if (dst != null && !dst.process().isAlive()) {
                throw new IllegalStateException("the destination QEMU died: " + dst.process().lastLines(3));
            }
            if (tunnel != null && tunnel.failure().isPresent()) {
                // The tunnel cut QEMU's connection too; its own error would only say "broken pipe".
                QemuNativeEngine.safe(() -> src.qmp().execute("migrate_cancel", null, T));
                throw new IllegalStateException(tunnel.failure().get());
            }
            telemetry.sample(ram);
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                src.qmp().execute("migrate_cancel", null, T);
                throw new IllegalStateException("interrupted");
            }
        }
    }

    /**
     * QEMU 7.2 says "completed" a moment before it computes total-time and downtime (both 0
     * until then): asks again, for up to a second, until they are there.
     */
    private Map<String, Object> settled(QemuVm src, Map<String, Object> st) {
        for (int i = 0; i < 50 && Json.num(st, "total-time", 0) <= 0; i++) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            st = src.qmp().execute("query-migrate", null, T);
            lastQuery = st;
        }
        return st;
    }

    private void cleanupAfterFailure() {
        if (dst != null) {
            QemuNativeEngine.safe(dst::destroy);
            dst = null;
        }
        if (tunnel != null) {
            // Before the source runs again: the destination node destroys its copy.
            NativeTunnel tn = tunnel;
            QemuNativeEngine.safe(tn::close);
            tunnel = null;
        }
        if (commitSent && vm instanceof QemuVm src && !src.state().isFinal()) {
            // The destination may already run the guest: resuming the source could run it twice.
            QemuNativeEngine.safe(src::endMigration);
            return;
        }
        if (vm instanceof QemuVm src && !src.state().isFinal()) {
            if (sourceMigrating) {
                QemuNativeEngine.safe(() -> src.qmp().execute("migrate_cancel", null, T));
                // A migration that got as far as stopping the source leaves it paused or in postmigrate.
                QemuNativeEngine.safe(() -> {
                    String rs = Json.str(src.qmp().execute("query-status", null, T), "status");
                    if (!"running".equals(rs)) {
                        src.qmp().execute("cont", null, T);
                    }
                });
                sourceMigrating = false;
            }
            QemuNativeEngine.safe(src::endMigration);
        }
    }

    private void phase(MigrationPhase p) {
        telemetry.phase(p);
    }
}
