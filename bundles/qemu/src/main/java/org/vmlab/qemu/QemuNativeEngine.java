package org.vmlab.qemu;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.migration.MigrationContext;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPhase;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.migration.NativeTunnel;
import org.vmlab.api.migration.NativeTunnels;
import org.vmlab.api.migration.RoundStats;
import org.vmlab.api.migration.TimelineSample;
import org.vmlab.api.migration.TransferEngine;
import org.vmlab.api.migration.Verification;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.parameter.ParameterSet;
import org.vmlab.api.parameter.ParameterValues;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmBackend;
import org.vmlab.api.workload.ThroughputSample;

/**
 * QEMU's own live migration as a vmlab engine, the baseline vmlab's engines are compared with.
 * The destination is a second QEMU on this node ({@code -incoming defer}, then
 * {@code migrate-incoming tcp:127.0.0.1:<free port>}) or, for a plan to another node, a QEMU on
 * that node reached through vmlab's authenticated tunnel ({@link NativeTunnels}): the source QEMU
 * migrates to the tunnel's loopback port, so QEMU's unauthenticated stream never crosses the
 * network itself. Through a tunnel one connection carries one way: no multifd, no postcopy-ram,
 * both refused before anything moves. The plan maps to QEMU's knobs: network rate
 * to {@code max-bandwidth}, downtime limit to {@code downtime-limit}, streams &gt; 1 to multifd
 * with that many channels, options {@code xbzrle}, {@code auto-converge}, {@code postcopy-ram}
 * (true/false) to capabilities. {@code query-migrate} is polled each second into the timeline and
 * its final figures become the report. On failure or cancel the source runs on ({@code cont}) and
 * the destination is destroyed; on success the source is destroyed, as with every vmlab engine.
 */
@Component(service = TransferEngine.class, property = {
        "vmlab.family=engine",
        "vmlab.name=qemu-native",
        "vmlab.description=QEMU's own live migration over QMP (qemu VMs only), the baseline",
        "service.ranking:Integer=10"})
public final class QemuNativeEngine implements TransferEngine {
    public static final String NAME = "qemu-native";
    private static final Logger LOG = LoggerFactory.getLogger(QemuNativeEngine.class);
    /** QEMU's migration capabilities a plan may switch on, by their QEMU names. */
    static final List<Parameter> OPTIONS = List.of(
            Parameter.bool("xbzrle", "false",
                    "QEMU's XBZRLE: pages sent again go as compressed deltas against a cache of what was sent"),
            Parameter.bool("auto-converge", "false",
                    "QEMU slows the vCPUs step by step while the guest dirties memory faster than it is sent"),
            Parameter.bool("postcopy-ram", "false",
                    "switch to postcopy after the first full pass; this node only, guest RAM on tmpfs or hugetlbfs"));
    private static final Duration T = QemuVm.QMP_TIMEOUT;
    /** QEMU has no "unlimited": its default cap is 128 MiB/s, so an unlimited link asks for 100 GiB/s. */
    static final long UNLIMITED_BANDWIDTH = 100L << 30;

    /** How long the destination node may take to load the stream after the source QEMU completed. */
    static final Duration REMOTE_LOAD_TIMEOUT = Duration.ofSeconds(120);

    private volatile QemuBackend backend;
    /** vmlab's tunnel to other nodes (engines bundle); without it, plans to another node fail. */
    private volatile NativeTunnels tunnels;

    /** For DS. */
    public QemuNativeEngine() {
    }

    /** Outside OSGi, this node only. */
    public QemuNativeEngine(QemuBackend backend) {
        this.backend = backend;
    }

    /** Outside OSGi, with a tunnel to other nodes. */
    public QemuNativeEngine(QemuBackend backend, NativeTunnels tunnels) {
        this.backend = backend;
        this.tunnels = tunnels;
    }

    /** Optional and dynamic: local migrations need no tunnel, and the engines bundle may come and go. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setTunnels(NativeTunnels t) {
        this.tunnels = t;
    }

    void unsetTunnels(NativeTunnels t) {
        if (this.tunnels == t) {
            this.tunnels = null;
        }
    }

    @Reference(target = "(vmlab.backend=qemu)")
    void setBackend(VmBackend b) {
        if (b instanceof QemuBackend q) {
            this.backend = q;
        } else {
            LOG.warn("{} claims vmlab.backend=qemu but is not vmlab's QEMU backend; qemu-native ignores it", b);
        }
    }

    @Activate
    void activate() {
        // the reference is static and mandatory: nothing else to do
    }

    @Override
    public Optional<String> unsupportedReason(Vm vm) {
        if (!(vm instanceof QemuVm)) {
            return Optional.of("qemu-native migrates only qemu VMs; '" + vm.id() + "' runs on " + vm.backend());
        }
        return Optional.empty();
    }

    @Override
    public List<Parameter> options() {
        return OPTIONS;
    }

    @Override
    public MigrationReport migrate(MigrationPlan plan, MigrationContext context) {
        return new Run(plan, context).run();
    }

    private final class Run {
        final MigrationPlan plan;
        final MigrationContext ctx;
        final MigrationListener listener;
        final Vm vm;
        final long t0 = System.nanoTime();
        final List<TimelineSample> timeline = new ArrayList<>();
        final List<RoundStats> rounds = new ArrayList<>();
        QemuVm dst;
        /** The tunnel to another node's QEMU, for a remote plan. */
        NativeTunnel tunnel;
        /** COMMIT went to the destination node: from then on the destination may run the guest. */
        boolean commitSent;
        boolean sourceMigrating;
        Verification verdict = Verification.NOT_REQUESTED;
        /** The latest query-migrate answer of the source, once QEMU's migration runs. */
        Map<String, Object> lastQuery;
        /** QEMU was told to switch to postcopy: from then on the destination may run the guest. */
        boolean postcopyStarted;

        Run(MigrationPlan plan, MigrationContext ctx) {
            this.plan = plan;
            this.ctx = ctx;
            this.listener = ctx.listener();
            this.vm = ctx.vm();
        }

        private String destinationText() {
            return plan.isLocal() ? MigrationReport.LOCAL : plan.destination().toString();
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
                return report(lastQuery, status, verdict, why);
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            return new MigrationReport(plan.id(), status, NAME, String.valueOf(plan.ordering()), vm.id(),
                    destinationText(), ms, 0, 0, 0, 0, rounds.size(), 0, 0, 0, verdict, why,
                    rounds, timeline);
        }

        MigrationReport run() {
            Optional<String> no = unsupportedReason(vm);
            if (no.isPresent()) {
                return failed(MigrationStatus.FAILED, no.get());
            }
            QemuBackend b = backend;
            if (b == null) {
                return failed(MigrationStatus.FAILED, "the qemu backend is not available");
            }
            ParameterValues options;
            try {
                options = ParameterSet.options("engine '" + NAME + "'", OPTIONS).validate(plan.options());
            } catch (IllegalArgumentException e) {
                return failed(MigrationStatus.FAILED, e.getMessage());
            }
            NativeTunnels t = tunnels; // bound for this migration
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
                Optional<String> why = postcopyUnsupported(b.settings().runRoot());
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
                for (Parameter o : OPTIONS) {
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
                String uri = "tcp:127.0.0.1:" + freePort();
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
                    String bad = compareMemory(src.memory(), dst.memory());
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
            tunnel.awaitLoaded(REMOTE_LOAD_TIMEOUT);
            Verification verified = Verification.NOT_REQUESTED;
            if (plan.verify()) {
                phase(MigrationPhase.VERIFY);
                String bad = compareHashes(src.memory(), tunnel.remotePageHashes());
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
                    "max-bandwidth", bw > 0 ? bw : UNLIMITED_BANDWIDTH,
                    "downtime-limit", Math.max(1, plan.downtimeLimit().toMillis())), T);
            sourceMigrating = true;
            src.qmp().execute("migrate", Map.of("uri", uri), T);
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
            safe(src::endMigration);
            safe(src::destroy);
            phase(MigrationPhase.DONE);
            return report(last, MigrationStatus.COMPLETED, verified, null);
        }

        /** Polls query-migrate: every 100 ms for the state, a timeline sample about once a second. */
        private Map<String, Object> poll(QemuVm src, boolean postcopy) {
            long nextSample = System.nanoTime() + 1_000_000_000L;
            long lastSync = 0;
            long lastBytes = 0;
            long roundStart = System.nanoTime();
            while (true) {
                Map<String, Object> st = src.qmp().execute("query-migrate", null, T);
                lastQuery = st;
                String status = Json.str(st, "status");
                Map<String, Object> ram = Json.obj(st, "ram");
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
                    safe(() -> src.qmp().execute("migrate_cancel", null, T));
                    throw new IllegalStateException(tunnel.failure().get());
                }
                long now = System.nanoTime();
                if (now >= nextSample) {
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
                    nextSample += 1_000_000_000L;
                }
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

        private void roundDone(RoundStats r) {
            rounds.add(r);
            try {
                listener.onRound(r);
            } catch (RuntimeException e) {
                LOG.debug("listener failed", e);
            }
        }

        private MigrationReport report(Map<String, Object> st, MigrationStatus status, Verification verified,
                                       String why) {
            Map<String, Object> ram = Json.obj(st, "ram");
            long normal = Json.num(ram, "normal", 0);
            long zero = Json.num(ram, "duplicate", 0);
            long sent = normal + zero;
            long pageCount = vm.memory().pageCount();
            long total = Json.num(st, "total-time", (System.nanoTime() - t0) / 1_000_000);
            return new MigrationReport(plan.id(), status, NAME, String.valueOf(plan.ordering()),
                    vm.id(), destinationText(), Math.max(0, total), Math.max(0, Json.num(st, "setup-time", 0)),
                    Math.max(0, Json.num(st, "downtime", 0)), Math.max(0, Json.num(ram, "transferred", 0)), 0,
                    (int) Math.max(0, Json.num(ram, "dirty-sync-count", 0)), sent,
                    Math.max(0, Math.min(sent, sent - pageCount)), Math.min(zero, sent), verified, why,
                    rounds, timeline);
        }

        private void cleanupAfterFailure() {
            if (dst != null) {
                safe(dst::destroy);
                dst = null;
            }
            if (tunnel != null) {
                // Before the source runs again: the destination node destroys its copy.
                NativeTunnel tn = tunnel;
                safe(tn::close);
                tunnel = null;
            }
            if (commitSent && vm instanceof QemuVm src && !src.state().isFinal()) {
                // The destination may already run the guest: resuming the source could run it twice.
                safe(src::endMigration);
                return;
            }
            if (vm instanceof QemuVm src && !src.state().isFinal()) {
                if (sourceMigrating) {
                    safe(() -> src.qmp().execute("migrate_cancel", null, T));
                    // A migration that got as far as stopping the source leaves it paused or in postmigrate.
                    safe(() -> {
                        String rs = Json.str(src.qmp().execute("query-status", null, T), "status");
                        if (!"running".equals(rs)) {
                            src.qmp().execute("cont", null, T);
                        }
                    });
                    sourceMigrating = false;
                }
                safe(src::endMigration);
            }
        }

        private void phase(MigrationPhase p) {
            try {
                listener.onPhase(p);
            } catch (RuntimeException e) {
                LOG.debug("listener failed", e);
            }
        }
    }

    /**
     * Compares two stopped guests' memories page by page: null if equal, else one sentence with the
     * number of differing pages and the first few.
     */
    static String compareMemory(GuestMemory a, GuestMemory b) {
        long n = a.pageCount();
        if (n != b.pageCount()) {
            return "the guests have " + n + " and " + b.pageCount() + " pages";
        }
        ByteBuffer pa = ByteBuffer.allocate(Pages.SIZE).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        ByteBuffer pb = ByteBuffer.allocate(Pages.SIZE).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long diff = 0;
        List<Long> first = new ArrayList<>();
        for (long pfn = 0; pfn < n; pfn++) {
            pa.clear();
            pb.clear();
            a.readPage(pfn, pa);
            b.readPage(pfn, pb);
            if (!pa.flip().equals(pb.flip())) {
                diff++;
                if (first.size() < 5) {
                    first.add(pfn);
                }
            }
        }
        return diff == 0 ? null : diff + " pages differ between source and destination, first " + first;
    }

    /**
     * Compares a stopped guest's page hashes with a copy's: null if equal, else one sentence with
     * the number of differing pages and the first few.
     */
    static String compareHashes(GuestMemory a, long[] theirs) {
        long n = a.pageCount();
        if (n != theirs.length) {
            return "the guests have " + n + " and " + theirs.length + " pages";
        }
        long diff = 0;
        List<Long> first = new ArrayList<>();
        for (long pfn = 0; pfn < n; pfn++) {
            if (a.pageHash(pfn) != theirs[(int) pfn]) {
                diff++;
                if (first.size() < 5) {
                    first.add(pfn);
                }
            }
        }
        return diff == 0 ? null : diff + " pages differ between source and destination, first " + first;
    }

    /**
     * Why QEMU's postcopy cannot work with guest RAM in this folder, if it cannot: the destination
     * registers its RAM with userfaultfd, which takes missing-page faults only on shared memory
     * (tmpfs) and hugetlbfs, not on a regular file system; QEMU finds out only at the switch to
     * postcopy, with the source already stopped.
     */
    static Optional<String> postcopyUnsupported(java.nio.file.Path runRoot) {
        String type;
        try {
            java.nio.file.Path p = runRoot;
            while (p != null && !java.nio.file.Files.exists(p)) {
                p = p.getParent();
            }
            type = p == null ? "unknown" : java.nio.file.Files.getFileStore(p).type();
        } catch (IOException e) {
            type = "unknown (" + e.getMessage() + ")";
        }
        if (type.equals("tmpfs") || type.equals("hugetlbfs")) {
            return Optional.empty();
        }
        return Optional.of("postcopy-ram needs guest RAM on tmpfs or hugetlbfs (userfaultfd), but the qemu run"
                + " folder " + runRoot + " is on " + type + "; set runDir of org.vmlab.qemu to a folder on /dev/shm");
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free loopback port for the migration: " + e.getMessage());
        }
    }

    private static void safe(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.debug("cleanup step failed: {}", e.toString());
        }
    }
}
