package org.vmlab.engines;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.memory.DirtyLog;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.migration.MigrationContext;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPhase;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.migration.RoundStats;
import org.vmlab.api.migration.TimelineSample;
import org.vmlab.api.migration.TransferEngine;
import org.vmlab.api.migration.Verification;
import org.vmlab.api.ordering.RoundContext;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.workload.InvariantResult;
import org.vmlab.api.workload.MemoryInvariant;
import org.vmlab.api.workload.ThroughputSample;
import org.vmlab.api.workload.WorkloadRun;
import org.vmlab.transport.Frame;
import org.vmlab.transport.FrameChannel;
import org.vmlab.transport.PageBatch;
import org.vmlab.transport.RateLimiter;
import org.vmlab.transport.TransportException;

/**
 * Iterative precopy, as QEMU does it: round 0 sends every page in the ordering policy's order
 * with dirty logging already on; each later round sends the pages the last sync found dirty;
 * switchover once the remaining bytes fit in rate x downtime limit (the measured throughput of the
 * last round when the link is unlimited) or after {@code maxRounds}. Auto-converge throttles the
 * vCPUs (20%, +10% per round, at most 99%) after two rounds whose dirty rate reached half the
 * link rate; plan option {@code auto-converge=false} turns it off.
 *
 * <p>After a successful migration the source VM is destroyed (the VM has moved); the destination
 * keeps the id its backend gave it ({@code name} on another node, {@code name-incoming} on the
 * same node, as the backend chooses, since the api has no rename).
 */
@Component(service = TransferEngine.class, property = {
        "vmlab.family=engine",
        "vmlab.name=precopy",
        "vmlab.description=Iterative precopy with QEMU's switchover rule and auto-converge",
        "service.ranking:Integer=100"})
public final class PrecopyEngine implements TransferEngine {
    public static final String NAME = "precopy";
    private static final Logger LOG = LoggerFactory.getLogger(PrecopyEngine.class);
    private static final int BATCH_PAGES = 32;
    private static final int FRAME_BYTES = 256 * 1024;

    @Reference
    private volatile MigrationReceiver receiver;

    /** For DS. */
    public PrecopyEngine() {
    }

    /** Outside OSGi: the node's receiver gives the secret, the timeout and the local endpoint. */
    public PrecopyEngine(MigrationReceiver receiver) {
        this.receiver = receiver;
    }

    @Activate
    void activate() {
        // references are set
    }

    @Override
    public Optional<String> unsupportedReason(Vm vm) {
        if (vm.memory().pageCount() > Integer.MAX_VALUE) {
            return Optional.of("precopy supports at most 2^31 pages");
        }
        return Optional.empty();
    }

    @Override
    public MigrationReport migrate(MigrationPlan plan, MigrationContext context) {
        return new Run(plan, context, receiver).run();
    }

    /** One migration. */
    static final class Run {
        final MigrationPlan plan;
        final MigrationContext ctx;
        final MigrationReceiver receiver;
        final Vm vm;
        final GuestMemory memory;
        final MigrationListener listener;
        final long pageCount;
        final long t0 = System.nanoTime();
        final List<RoundStats> rounds = new ArrayList<>();
        final List<TimelineSample> timeline = new CopyOnWriteArrayList<>();
        final List<FrameChannel> streams = new ArrayList<>();
        final BitSet everSent = new BitSet();
        final AtomicLong zeroPages = new AtomicLong();
        final String destinationText;
        FrameChannel control;
        RateLimiter limiter;
        ExecutorService workers;
        ScheduledExecutorService ticker;
        PageBatch.Writer[] writers;
        long setupNanos = -1;
        long pagesSent;
        long pagesResent;
        volatile double dirtyPagesPerSecond;
        boolean paused;
        boolean dirtyLogStarted;
        double throttle;
        String destVmId;
        Verification verified = Verification.NOT_REQUESTED;
        long downtimeNanos;

        Run(MigrationPlan plan, MigrationContext ctx, MigrationReceiver receiver) {
            this.plan = plan;
            this.ctx = ctx;
            this.receiver = receiver;
            this.vm = ctx.vm();
            this.memory = vm.memory();
            this.listener = ctx.listener();
            this.pageCount = memory.pageCount();
            this.destinationText = plan.isLocal() ? MigrationReport.LOCAL : plan.destination().toString();
        }

        MigrationReport run() {
            boolean committed = false;
            String failure = null;
            try {
                phase(MigrationPhase.SETUP);
                connect();
                ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "vmlab-precopy-tick-" + plan.id()));
                ticker.scheduleAtFixedRate(this::tick, 1000, 1000, TimeUnit.MILLISECONDS);
                long period = Math.max(100, Math.min(1000, receiver.settings().timeout().toMillis() / 4));
                ticker.scheduleWithFixedDelay(this::heartbeat, period, period, TimeUnit.MILLISECONDS);
                DirtyLog log = memory.dirtyLog();
                log.start();
                dirtyLogStarted = true;
                phase(MigrationPhase.PRECOPY);
                ArrayPageHistory history = new ArrayPageHistory(pageCount);
                PageSet toSend = PageSet.all(pageCount);
                int round = 0;
                long seed = seed();
                int highDirtyRounds = 0;
                while (true) {
                    checkCancelled();
                    long[] order = order(new RoundContext(round, toSend, history, seed), toSend);
                    long bytesBefore = bytesNetwork();
                    long start = System.nanoTime();
                    long[] counts = sendRound(round, order);
                    PageSet dirty = log.sync();
                    history.record(dirty);
                    long nanos = Math.max(1, System.nanoTime() - start);
                    long bytes = bytesNetwork() - bytesBefore;
                    roundDone(round, counts, bytes, nanos, dirty.size());
                    dirtyPagesPerSecond = dirty.size() * 1e9 / nanos;
                    double linkBytesPerSecond = limiter.isUnlimited() ? bytes * 1e9 / nanos : limiter.bytesPerSecond();
                    double remaining = (double) dirty.size() * Pages.SIZE;
                    double threshold = linkBytesPerSecond * plan.downtimeLimit().toNanos() / 1e9;
                    if (remaining <= threshold || round + 1 >= plan.maxRounds()) {
                        LOG.info("migration {}: switchover after round {}: {} bytes remain, threshold {}",
                                plan.id(), round, (long) remaining, (long) threshold);
                        toSend = dirty;
                        round++;
                        break;
                    }
                    if (autoConverge()) {
                        double dirtyBytesPerSecond = dirty.size() * (double) Pages.SIZE * 1e9 / nanos;
                        if (dirtyBytesPerSecond >= 0.5 * linkBytesPerSecond) {
                            if (++highDirtyRounds >= 2) {
                                throttle = throttle == 0 ? 0.20 : Math.min(0.99, throttle + 0.10);
                                vm.throttle(throttle);
                                highDirtyRounds = 0;
                                LOG.info("migration {}: auto-converge throttles the vCPUs {}%", plan.id(), Math.round(throttle * 100));
                            }
                        }
                    }
                    toSend = dirty;
                    round++;
                }
                checkCancelled();
                // ---- switchover
                phase(MigrationPhase.SWITCHOVER);
                long pauseStart = System.nanoTime();
                vm.pause();
                paused = true;
                PageSet last = toSend.union(log.sync());
                long[] order = order(new RoundContext(round, last, history, seed), last);
                long bytesBefore = bytesNetwork();
                long start = System.nanoTime();
                long[] counts = sendRound(round, order);
                for (int i = 0; i < streams.size(); i++) {
                    streams.get(i).send(Protocol.FLUSH, longBytes(counts[0]));
                }
                byte[] device = vm.saveDeviceState();
                ByteArrayOutputStream b = new ByteArrayOutputStream(device.length + 8);
                DataOutputStream out = new DataOutputStream(b);
                out.writeBoolean(plan.verify());
                out.writeInt(device.length);
                out.write(device);
                out.flush();
                control.send(Protocol.SWITCHOVER, b.toByteArray());
                if (plan.verify()) {
                    phase(MigrationPhase.VERIFY);
                    String bad = verify();
                    if (bad != null) {
                        verified = Verification.FAILED;
                        throw new VerificationFailure(bad);
                    }
                    verified = Verification.PASSED;
                }
                checkCancelled();
                control.send(Protocol.COMMIT);
                committed = true;
                awaitFrame(Protocol.RESUMED);
                downtimeNanos = System.nanoTime() - pauseStart;
                roundDone(round, counts, bytesNetwork() - bytesBefore, System.nanoTime() - start, 0);
                phase(MigrationPhase.DONE);
                cleanupSource(true);
                return report(MigrationStatus.COMPLETED, null);
            } catch (Exception | Error e) {
                failure = reason(e);
                if (committed) {
                    // Past the point of no return: the destination may run the VM; never run it twice.
                    failure = "destination did not confirm the resume after commit: " + failure
                            + "; the source VM stays paused";
                    LOG.error("migration {}: {}", plan.id(), failure);
                    closeChannels();
                    stopTicker();
                    safe(() -> memory.dirtyLog().stop());
                    return report(MigrationStatus.FAILED, failure);
                }
                if (!(e instanceof Cancelled)) {
                    LOG.warn("migration {} failed: {}", plan.id(), failure);
                }
                abort(failure);
                cleanupSource(false);
                return report(e instanceof Cancelled || ctx.isCancelled() ? MigrationStatus.CANCELLED
                        : MigrationStatus.FAILED, e instanceof Cancelled ? "cancelled by the user" : failure);
            } finally {
                stopTicker();
                if (workers != null) {
                    workers.shutdownNow();
                }
                if (writers != null) {
                    for (PageBatch.Writer w : writers) {
                        if (w != null) {
                            w.close();
                        }
                    }
                }
            }
        }

        private boolean autoConverge() {
            return !"false".equalsIgnoreCase(plan.options().getOrDefault("auto-converge", "true"));
        }

        private long seed() {
            String s = plan.options().get("seed");
            if (s != null) {
                try {
                    return Long.parseLong(s.trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("option seed is not a number: '" + s + "'");
                }
            }
            return plan.id().hashCode() * 0x9E3779B97F4A7C15L;
        }

        private void connect() throws IOException {
            if (receiver == null) {
                throw new TransportException("no migration receiver on this node (needed for the shared secret)");
            }
            Endpoint to = plan.isLocal() ? receiver.localEndpoint() : plan.destination();
            limiter = new RateLimiter(plan.network().rate());
            control = receiver.connect(to, limiter);
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(b);
            out.writeUTF(plan.id());
            out.writeInt(plan.streams());
            out.writeBoolean(plan.compress());
            out.write(Protocol.encodeSpec(vm.spec()));
            out.flush();
            control.send(Protocol.OPEN, b.toByteArray());
            Frame ready = awaitFrame(Protocol.READY);
            DataInputStream in = Protocol.in(ready);
            String token = in.readUTF();
            destVmId = in.readUTF();
            long destPages = in.readLong();
            if (destPages != pageCount) {
                throw new TransportException("destination VM has " + destPages + " pages, the source " + pageCount);
            }
            AtomicInteger n = new AtomicInteger();
            workers = Executors.newFixedThreadPool(plan.streams(), r -> daemon(r, "vmlab-precopy-" + plan.id() + "-" + n.incrementAndGet()));
            writers = new PageBatch.Writer[plan.streams()];
            for (int i = 0; i < plan.streams(); i++) {
                FrameChannel ch = receiver.connect(to, limiter);
                streams.add(ch);
                ByteArrayOutputStream a = new ByteArrayOutputStream();
                DataOutputStream ao = new DataOutputStream(a);
                ao.writeUTF(token);
                ao.writeInt(i);
                ao.flush();
                ch.send(Protocol.ATTACH, a.toByteArray());
                writers[i] = new PageBatch.Writer(plan.compress(), FRAME_BYTES);
            }
        }

        /** Waits for a frame of this type on the control connection, skipping pings. */
        private Frame awaitFrame(int type) throws IOException {
            while (true) {
                Frame f = control.receive();
                if (f.type() == type) {
                    return f;
                }
                if (f.type() == Protocol.ERROR) {
                    throw new TransportException("destination failed: " + Protocol.in(f).readUTF());
                }
                if (f.type() != Protocol.PING) {
                    throw new TransportException("expected " + Protocol.name(type) + " from the destination, got "
                            + Protocol.name(f.type()));
                }
            }
        }

        /** The policy's order, checked to be a permutation of {@code toSend}. */
        private long[] order(RoundContext rc, PageSet toSend) {
            long[] order;
            try {
                order = ctx.ordering().order(rc);
            } catch (RuntimeException e) {
                throw new IllegalStateException("ordering policy '" + plan.ordering() + "' failed in round "
                        + rc.round() + ": " + e, e);
            }
            String bad = null;
            if (order == null) {
                bad = "returned null";
            } else if (order.length != toSend.size()) {
                bad = "returned " + order.length + " pages for " + toSend.size();
            } else {
                BitSet seen = new BitSet();
                for (long pfn : order) {
                    if (!toSend.contains(pfn)) {
                        bad = "returned page " + pfn + " that is not to be sent";
                        break;
                    }
                    if (seen.get((int) pfn)) {
                        bad = "returned page " + pfn + " twice";
                        break;
                    }
                    seen.set((int) pfn);
                }
            }
            if (bad != null) {
                throw new IllegalStateException("ordering policy '" + plan.ordering() + "' " + bad + " in round "
                        + rc.round() + " (not a permutation of the pages to send)");
            }
            return order;
        }

        /** Sends the pages in order over all streams; returns {pages, resent, zero}. */
        private long[] sendRound(int round, long[] order) throws Exception {
            if (setupNanos < 0) {
                setupNanos = System.nanoTime() - t0;
            }
            long zeroBefore = zeroPages.get();
            AtomicInteger cursor = new AtomicInteger();
            List<Future<?>> futures = new ArrayList<>();
            for (int s = 0; s < streams.size(); s++) {
                int stream = s;
                futures.add(workers.submit(() -> {
                    sendShare(round, order, cursor, streams.get(stream), writers[stream]);
                    return null;
                }));
            }
            Exception first = null;
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (first == null) {
                        first = e.getCause() instanceof Exception ex ? ex : new RuntimeException(e.getCause());
                        for (FrameChannel ch : streams) {
                            ch.close();
                        }
                    }
                }
            }
            if (first != null) {
                throw first;
            }
            long resent = 0;
            for (long pfn : order) {
                if (everSent.get((int) pfn)) {
                    resent++;
                } else {
                    everSent.set((int) pfn);
                }
            }
            pagesSent += order.length;
            pagesResent += resent;
            return new long[]{order.length, resent, zeroPages.get() - zeroBefore};
        }

        private void sendShare(int round, long[] order, AtomicInteger cursor, FrameChannel ch, PageBatch.Writer w)
                throws IOException {
            ByteBuffer page = ByteBuffer.allocateDirect(Pages.SIZE);
            w.begin(round);
            while (true) {
                if (ctx.isCancelled()) {
                    throw new Cancelled();
                }
                int from = cursor.getAndAdd(BATCH_PAGES);
                if (from >= order.length) {
                    break;
                }
                int to = Math.min(order.length, from + BATCH_PAGES);
                for (int i = from; i < to; i++) {
                    long pfn = order[i];
                    if (memory.isZero(pfn)) {
                        w.addZero(pfn);
                        zeroPages.incrementAndGet();
                    } else {
                        page.clear();
                        memory.readPage(pfn, page);
                        page.flip();
                        w.addPage(pfn, page);
                    }
                    if (w.isFull()) {
                        ch.send(Protocol.PAGES, w.array(), 0, w.length());
                        w.begin(round);
                    }
                }
            }
            if (w.pages() > 0) {
                ch.send(Protocol.PAGES, w.array(), 0, w.length());
                w.begin(round);
            }
        }

        /** Compares destination page hashes with the paused source's; null if they agree. */
        private String verify() throws IOException {
            long[] theirs = new long[(int) pageCount];
            BitSet got = new BitSet();
            while (true) {
                Frame f = control.receive();
                if (f.type() == Protocol.PING) {
                    continue;
                }
                if (f.type() == Protocol.ERROR) {
                    throw new TransportException("destination failed: " + Protocol.in(f).readUTF());
                }
                if (f.type() == Protocol.VERIFY_READY) {
                    break;
                }
                if (f.type() != Protocol.HASHES) {
                    throw new TransportException("expected HASHES, got " + Protocol.name(f.type()));
                }
                ByteBuffer b = f.payload();
                long start = b.getLong();
                int n = b.getInt();
                if (start < 0 || n < 0 || start + n > pageCount || b.remaining() != 8L * n) {
                    throw new TransportException("malformed HASHES frame");
                }
                for (int i = 0; i < n; i++) {
                    theirs[(int) start + i] = b.getLong();
                }
                got.set((int) start, (int) start + n);
            }
            if (got.cardinality() != pageCount) {
                return "destination sent hashes of " + got.cardinality() + " of " + pageCount + " pages";
            }
            List<Long> badPages = new ArrayList<>();
            long bad = 0;
            for (long pfn = 0; pfn < pageCount; pfn++) {
                if (memory.pageHash(pfn) != theirs[(int) pfn]) {
                    bad++;
                    if (badPages.size() < 10) {
                        badPages.add(pfn);
                    }
                }
            }
            if (bad > 0) {
                return bad + " pages differ between source and destination, first " + badPages;
            }
            Optional<MemoryInvariant> inv = vm.workload().flatMap(WorkloadRun::invariant);
            if (inv.isPresent()) {
                // The destination's own memory when it is on this node, else the paused source's
                // (equal to the destination's, page for page, as the hashes just showed).
                GuestMemory target = receiver.incomingVm(destVmId).map(Vm::memory).orElse(memory);
                InvariantResult r = inv.get().check(target);
                if (!r.holds()) {
                    return "the workload invariant fails on the destination: " + r.detail() + " (pages "
                            + r.firstBadPages() + ")";
                }
            }
            return null;
        }

        private void abort(String why) {
            if (control != null) {
                try {
                    control.send(Protocol.ABORT, Protocol.utf(why));
                } catch (IOException | RuntimeException ignored) {
                    // the link may be gone
                }
            }
            closeChannels();
        }

        private void closeChannels() {
            if (control != null) {
                control.close();
            }
            for (FrameChannel ch : streams) {
                ch.close();
            }
        }

        /** Leaves the source consistent: running after a failure, destroyed after success. */
        private void cleanupSource(boolean moved) {
            stopTicker();
            if (dirtyLogStarted) {
                safe(() -> memory.dirtyLog().stop());
            }
            if (throttle > 0) {
                safe(() -> vm.throttle(0));
            }
            if (!moved && paused) {
                safe(vm::resume);
            }
            safe(vm::endMigration);
            if (moved) {
                closeChannels();
                safe(vm::destroy);
            }
        }

        private void roundDone(int round, long[] counts, long bytes, long nanos, long dirtyAtEnd) {
            RoundStats rs = new RoundStats(round, counts[0], counts[1], counts[2], Math.max(0, bytes),
                    Math.max(0, nanos / 1_000_000), dirtyAtEnd);
            rounds.add(rs);
            try {
                listener.onRound(rs);
            } catch (RuntimeException e) {
                LOG.debug("listener failed", e);
            }
        }

        private void phase(MigrationPhase p) {
            try {
                listener.onPhase(p);
            } catch (RuntimeException e) {
                LOG.debug("listener failed", e);
            }
        }

        long bytesNetwork() {
            long sum = control == null ? 0 : control.bytesSent();
            for (FrameChannel ch : streams) {
                sum += ch.bytesSent();
            }
            return sum;
        }

        private void tick() {
            try {
                TimelineSample s = sample();
                timeline.add(s);
                listener.onProgress(s);
            } catch (RuntimeException e) {
                LOG.debug("progress sample failed", e);
            }
        }

        private TimelineSample sample() {
            double ops = 0;
            double bps = 0;
            Optional<WorkloadRun> w = vm.workload();
            if (w.isPresent()) {
                ThroughputSample t = w.get().latest();
                if (t != null) {
                    ops = t.opsPerSecond();
                    bps = t.bytesPerSecond();
                }
            }
            return new TimelineSample((System.nanoTime() - t0) / 1e9, bytesNetwork(), 0, dirtyPagesPerSecond, ops, bps);
        }

        private void heartbeat() {
            long now = System.nanoTime();
            List<FrameChannel> all = new ArrayList<>(streams);
            if (control != null) {
                all.add(control);
            }
            for (FrameChannel ch : all) {
                if (now - ch.lastSendNanos() > 500_000_000L && !ch.isClosed()) {
                    try {
                        ch.send(Protocol.PING);
                    } catch (IOException e) {
                        // the sender notices
                    }
                }
            }
        }

        private void stopTicker() {
            if (ticker != null) {
                ticker.shutdownNow();
            }
        }

        private void checkCancelled() {
            if (ctx.isCancelled()) {
                throw new Cancelled();
            }
        }

        private MigrationReport report(MigrationStatus status, String failure) {
            long total = (System.nanoTime() - t0) / 1_000_000;
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
            return new MigrationReport(plan.id(), status, plan.engine() == null ? NAME : plan.engine(),
                    plan.ordering() == null ? "default" : plan.ordering(), plan.vmId(), destinationText, total,
                    setupNanos < 0 ? total : setupNanos / 1_000_000,
                    status == MigrationStatus.COMPLETED ? downtimeNanos / 1_000_000 : 0,
                    bytesNetwork(), 0, rounds.size(), pagesSent, pagesResent, zero, verified,
                    failure, rounds, tl);
        }

        private static String reason(Throwable e) {
            String m = e.getMessage();
            return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
        }

        private static byte[] longBytes(long v) {
            return ByteBuffer.allocate(8).putLong(v).array();
        }

        private static Thread daemon(Runnable r, String name) {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        }

        private static void safe(Runnable r) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("migration cleanup step failed: {}", e.getMessage());
            }
        }
    }

    /** The user cancelled. */
    static final class Cancelled extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Cancelled() {
            super("cancelled by the user", null, false, false);
        }
    }

    /** Destination memory differs from the source's. */
    static final class VerificationFailure extends Exception {
        private static final long serialVersionUID = 1L;

        VerificationFailure(String message) {
            super("verification failed: " + message);
        }
    }
}
