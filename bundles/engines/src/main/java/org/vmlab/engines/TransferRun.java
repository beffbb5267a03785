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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.memory.DirtyLog;
import org.vmlab.api.memory.FaultMode;
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
 * One migration, source side, for the engines that move memory over vmlab's data plane: some
 * precopy rounds (QEMU's switchover rule, refined by option {@code switchover}, and auto-converge), then either a precopy switchover
 * (the VM resumes at the destination with all its memory) or a postcopy switchover (it resumes at
 * once; the rest is pushed in the ordering policy's order while the destination's faults are
 * served ahead of the push).
 *
 * <p>The engines differ only in the {@link Shape} they give: precopy converges or stops at
 * {@code maxRounds}; postcopy does no round; hybrid does a set number of rounds.
 *
 * <p>After a successful migration the source VM is destroyed (the VM has moved). A failure before
 * the commit leaves the source running as it was. After a postcopy commit the VM runs only at the
 * destination: a lost link then leaves the source paused (its memory is the last full copy) and
 * the report names the pages that never reached the destination.
 */
final class TransferRun {
    private static final Logger LOG = LoggerFactory.getLogger(TransferRun.class);
    private static final int BATCH_PAGES = 32;
    private static final int FRAME_BYTES = 256 * 1024;
    /** Smaller frames in postcopy so that a faulted page never queues behind much push data. */
    private static final int POSTCOPY_FRAME_BYTES = 32 * 1024;
    private static final int POSTCOPY_BATCH_PAGES = 8;
    static final int DEFAULT_STAGES = 8;
    /** Stages smaller than this are not worth a sync. */
    private static final long MIN_STAGE_PAGES = 1024;

    /**
     * How a run moves memory.
     *
     * @param precopyRounds the most precopy rounds before switchover
     * @param converge      whether precopy may switch over early once the rest fits the downtime
     *                      limit (QEMU's rule)
     * @param postcopy      whether switchover is postcopy
     */
    record Shape(int precopyRounds, boolean converge, boolean postcopy) {
        /** Rounds from the plan's {@code precopy-rounds} option (hybrid). */
        static final int FROM_OPTION = -1;
    }

    final MigrationPlan plan;
    final MigrationContext ctx;
    final MigrationReceiver receiver;
    final String engineName;
    Shape shape;
    final Vm vm;
    final GuestMemory memory;
    final MigrationListener listener;
    final long pageCount;
    final long t0 = System.nanoTime();
    final List<RoundStats> rounds = new ArrayList<>();
    final List<TimelineSample> timeline = new CopyOnWriteArrayList<>();
    final List<FrameChannel> streams = new ArrayList<>();
    /** Pages sent at least once (also by postcopy pushers and fault service: hence atomic). */
    final AtomicLongArray everSent;
    final AtomicLong zeroPages = new AtomicLong();
    final String destinationText;
    FrameChannel control;
    RateLimiter limiter;
    ExecutorService workers;
    ScheduledExecutorService ticker;
    PageBatch.Writer[] writers;
    long setupNanos = -1;
    final AtomicLong pagesSent = new AtomicLong();
    final AtomicLong pagesResent = new AtomicLong();
    volatile double dirtyPagesPerSecond;
    /** How long the latest dirty-log sync took: part of what one more precopy round costs. */
    private volatile long lastSyncNanos;
    boolean paused;
    boolean dirtyLogStarted;
    double throttle;
    String destVmId;
    Verification verified = Verification.NOT_REQUESTED;
    long downtimeNanos;
    /**
     * Pages whose destination copy may be out of date: cleared per stage once its pages are sent,
     * set again by every sync (guarded by this).
     */
    BitSet stale;
    // ---- postcopy
    final AtomicLong pagesRequested = new AtomicLong();
    final AtomicInteger pendingRequests = new AtomicInteger();
    volatile boolean postcopyRunning;
    volatile double[] destinationGuest; // {ops/s, bytes/s} reported by the destination
    long postcopyNanos;
    long blockNanos;
    long postcopyResumedAt;

    TransferRun(String engineName, Shape shape, MigrationPlan plan, MigrationContext ctx, MigrationReceiver receiver) {
        this.engineName = engineName;
        this.shape = shape;
        this.plan = plan;
        this.ctx = ctx;
        this.receiver = receiver;
        this.vm = ctx.vm();
        this.memory = vm.memory();
        this.listener = ctx.listener();
        this.pageCount = memory.pageCount();
        this.everSent = new AtomicLongArray((int) ((pageCount + 63) >>> 6));
        this.destinationText = plan.isLocal() ? MigrationReport.LOCAL : plan.destination().toString();
    }

    MigrationReport run() {
        boolean committed = false;
        String failure;
        try {
            phase(MigrationPhase.SETUP);
            if (shape.precopyRounds() == Shape.FROM_OPTION) {
                shape = new Shape(HybridEngine.rounds(plan), shape.converge(), shape.postcopy());
            }
            connect();
            ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "vmlab-" + engineName + "-tick-" + plan.id()));
            ticker.scheduleAtFixedRate(this::tick, 1000, 1000, TimeUnit.MILLISECONDS);
            long period = Math.max(100, Math.min(1000, receiver.settings().timeout().toMillis() / 4));
            ticker.scheduleWithFixedDelay(this::heartbeat, period, period, TimeUnit.MILLISECONDS);
            DirtyLog log = memory.dirtyLog();
            log.start();
            dirtyLogStarted = true;
            stale = new BitSet((int) pageCount);
            stale.set(0, (int) pageCount);
            ArrayPageHistory history = new ArrayPageHistory(pageCount);
            long seed = seed();
            int round = shape.precopyRounds() > 0 ? precopy(log, history, seed) : 0;
            if (shape.precopyRounds() == 0) {
                scanZeroPages(log);
            }
            checkCancelled();
            if (shape.postcopy()) {
                return postcopy(log, history, seed, round);
            }
            // ---- precopy switchover
            phase(MigrationPhase.SWITCHOVER);
            tick(); // the guest as it ran just before the pause
            long pauseStart = System.nanoTime();
            vm.pause();
            paused = true;
            markStale(log.sync());
            PageSet last = staleSet();
            long[] order = order(new RoundContext(round, last, history, seed), last);
            long bytesBefore = bytesNetwork();
            long start = System.nanoTime();
            long[] counts = sendRound(round, order);
            flushStreams(counts[0]);
            control.send(Protocol.SWITCHOVER, switchoverPayload(null));
            long verifyNanos = 0;
            if (plan.verify()) {
                phase(MigrationPhase.VERIFY);
                long verifyStart = System.nanoTime();
                String bad = verify(this::controlFrame);
                verifyNanos = System.nanoTime() - verifyStart;
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
            // The comparison is instrumentation, not part of the mechanism: it is not downtime.
            downtimeNanos = System.nanoTime() - pauseStart - verifyNanos;
            roundDone(round, counts, bytesNetwork() - bytesBefore, System.nanoTime() - start, 0);
            phase(MigrationPhase.DONE);
            cleanupSource(true);
            return report(MigrationStatus.COMPLETED, null);
        } catch (PostcopyLost e) {
            return postcopyLost(e);
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

    /** Precopy rounds while the VM runs; returns the number of the next round. */
    private int precopy(DirtyLog log, ArrayPageHistory history, long seed) throws Exception {
        phase(MigrationPhase.PRECOPY);
        int round = 0;
        int highDirtyRounds = 0;
        int limit = Math.min(shape.precopyRounds(), plan.maxRounds());
        boolean convergeFurther = convergeFurther(); // a bad option fails before any page moves
        while (true) {
            checkCancelled();
            long bytesBefore = bytesNetwork();
            long start = System.nanoTime();
            long[] counts = new long[3];
            long dirtied = sendStaged(round, log, history, seed, counts);
            long nanos = Math.max(1, System.nanoTime() - start);
            long bytes = bytesNetwork() - bytesBefore;
            long staleNow = staleCount();
            roundDone(round, counts, bytes, nanos, staleNow);
            dirtyPagesPerSecond = dirtied * 1e9 / nanos;
            double linkBytesPerSecond = limiter.isUnlimited() ? bytes * 1e9 / nanos : limiter.bytesPerSecond();
            double remaining = (double) staleNow * Pages.SIZE;
            double threshold = linkBytesPerSecond * plan.downtimeLimit().toNanos() / 1e9;
            round++;
            if (round >= limit) {
                LOG.info("migration {}: switchover after round {} (the last allowed): {} bytes remain",
                        plan.id(), round - 1, (long) remaining);
                return round;
            }
            if (shape.converge() && remaining <= threshold) {
                // QEMU's rule would stop here. One more round pays while what it leaves (dirtied
                // while it sends the rest and syncs) is under 3/4 of what is left now: downtime
                // shrinks geometrically until the sync's own cost bounds it.
                double nextSeconds = remaining / linkBytesPerSecond + lastSyncNanos / 1e9;
                double leftAfter = dirtyPagesPerSecond * Pages.SIZE * nextSeconds;
                if (remaining == 0 || leftAfter > remaining * 0.75 || !convergeFurther) {
                    LOG.info("migration {}: switchover after round {}: {} bytes remain, threshold {}, one more round"
                            + " would leave about {}", plan.id(), round - 1, (long) remaining, (long) threshold,
                            (long) leftAfter);
                    return round;
                }
                LOG.info("migration {}: {} bytes remain, under the threshold {}; one more round should leave about {}",
                        plan.id(), (long) remaining, (long) threshold, (long) leftAfter);
            }
            if (autoConverge()) {
                double dirtyBytesPerSecond = dirtied * (double) Pages.SIZE * 1e9 / nanos;
                if (dirtyBytesPerSecond >= 0.5 * linkBytesPerSecond) {
                    if (++highDirtyRounds >= 2) {
                        throttle = throttle == 0 ? 0.20 : Math.min(0.99, throttle + 0.10);
                        vm.throttle(throttle);
                        highDirtyRounds = 0;
                        LOG.info("migration {}: auto-converge throttles the vCPUs {}%", plan.id(), Math.round(throttle * 100));
                    }
                }
            }
        }
    }

    /**
     * One precopy round in stages: the ordering policy orders the pages still to send in this
     * round, the first share of them is sent, the dirty log is synced into the history, and the
     * policy orders the rest again with what it just learned. So a page found hot while the round
     * runs (including round 0, before any history exists) can still go to the back of the round
     * (the staged transfer priority of update-history ordering); for orderings that ignore the
     * history, the stages change nothing but when the log is read. Plan option {@code stages}
     * (default {@value #DEFAULT_STAGES}; 1 = one order per round, as QEMU). Where a sync costs more
     * than a tenth of sending a stage, the rest of the round goes at once.
     *
     * @return the dirty pages the syncs of this round found (a page counted once per sync)
     */
    private long sendStaged(int round, DirtyLog log, ArrayPageHistory history, long seed, long[] counts)
            throws Exception {
        BitSet remaining;
        synchronized (this) {
            remaining = (BitSet) stale.clone();
        }
        int stages = stages();
        long stageSize = Math.max(MIN_STAGE_PAGES, (remaining.cardinality() + stages - 1) / stages);
        long dirtied = 0;
        while (!remaining.isEmpty()) {
            PageSet rest = PageSet.ofBitmap(pageCount, remaining.toLongArray());
            long[] order = order(new RoundContext(round, rest, history, seed), rest);
            long[] share = order.length <= stageSize ? order : java.util.Arrays.copyOf(order, (int) stageSize);
            long sendStart = System.nanoTime();
            long[] c = sendRound(round, share);
            long sendNanos = System.nanoTime() - sendStart;
            for (int i = 0; i < 3; i++) {
                counts[i] += c[i];
            }
            synchronized (this) {
                for (long pfn : share) {
                    remaining.clear((int) pfn);
                    stale.clear((int) pfn); // sent; the sync below marks it again if written since
                }
            }
            long syncStart = System.nanoTime();
            PageSet dirty = log.sync();
            long syncNanos = System.nanoTime() - syncStart;
            lastSyncNanos = syncNanos;
            markStale(dirty);
            history.record(dirty);
            dirtied += dirty.size();
            if (syncNanos * 10 > sendNanos && stageSize < remaining.cardinality()) {
                // A costly sync (e.g. a content-comparing dirty log) is not worth it mid-round:
                // the rest of the round goes in one stage.
                stageSize = remaining.cardinality();
            }
        }
        return dirtied;
    }

    /**
     * Plan option {@code switchover}: {@code converge} (default) goes on past the downtime
     * threshold while each round should leave under 3/4 of what is left; {@code threshold} switches over as
     * soon as the rest fits the downtime limit, QEMU's rule.
     */
    private boolean convergeFurther() {
        String v = plan.options().getOrDefault("switchover", "converge").trim();
        return switch (v) {
            case "converge" -> true;
            case "threshold" -> false;
            default -> throw new IllegalArgumentException("option switchover is converge or threshold, not '" + v + "'");
        };
    }

    private int stages() {
        String v = plan.options().get("stages");
        if (v == null) {
            return DEFAULT_STAGES;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1 && n <= 1024) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("option stages must be a whole number from 1 to 1024, not '" + v + "'");
    }

    private synchronized long staleCount() {
        return stale.cardinality();
    }

    /**
     * Pure postcopy: zero pages need not cross (the destination's fresh memory is zero) unless
     * the guest writes them before the pause, which the dirty log then tells.
     */
    private void scanZeroPages(DirtyLog log) {
        log.sync(); // from here on, writes count
        for (int pfn = 0; pfn < pageCount; pfn++) {
            if ((pfn & 0xFFFF) == 0) {
                checkCancelled();
            }
            if (memory.isZero(pfn)) {
                stale.clear(pfn);
            }
        }
    }

    // ------------------------------------------------------------------ postcopy

    /** Postcopy switchover and the postcopy phase; returns the report. */
    private MigrationReport postcopy(DirtyLog log, ArrayPageHistory history, long seed, int round) throws Exception {
        phase(MigrationPhase.SWITCHOVER);
        FaultMode mode = faultMode();
        tick(); // the guest as it ran just before the pause
        long pauseStart = System.nanoTime();
        vm.pause();
        paused = true;
        markStale(log.sync());
        PageSet missing = staleSet();
        flushStreams(0);
        control.send(Protocol.POSTCOPY_SWITCH, switchoverPayload(new PostcopySwitch(mode, missing)));
        BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
        PageBatch.Writer faultWriter = new PageBatch.Writer(plan.compress(), POSTCOPY_FRAME_BYTES);
        Thread reader = daemon(() -> readPostcopyControl(inbox, faultWriter, round), "vmlab-" + engineName + "-faults-" + plan.id());
        reader.start();
        try {
            takeFrame(inbox, Protocol.POSTCOPY_READY);
            checkCancelled();
            control.send(Protocol.COMMIT);
            postcopyRunning = true;
            takeFrame(inbox, Protocol.RESUMED);
            postcopyResumedAt = System.nanoTime();
            downtimeNanos = postcopyResumedAt - pauseStart;
            LOG.info("migration {}: VM runs at the destination after {} ms; {} pages follow by postcopy ({} faults)",
                    plan.id(), downtimeNanos / 1_000_000, missing.size(), mode.name().toLowerCase(java.util.Locale.ROOT));
            phase(MigrationPhase.POSTCOPY);
            long[] order = order(new RoundContext(round, missing, history, seed), missing);
            long bytesBefore = bytesNetwork();
            long start = System.nanoTime();
            long[] counts = push(round, order);
            Frame complete = takeFrame(inbox, Protocol.COMPLETE);
            ByteBuffer c = complete.payload();
            postcopyNanos = c.getLong();
            blockNanos = c.getLong();
            roundDone(round, new long[]{counts[0] + pagesRequested.get(), counts[1], counts[2]},
                    bytesNetwork() - bytesBefore, System.nanoTime() - start, 0);
            if (plan.verify()) {
                phase(MigrationPhase.VERIFY);
                String bad = verify(() -> takeAny(inbox));
                verified = bad == null ? Verification.PASSED : Verification.FAILED;
                if (bad != null) {
                    // The VM runs at the destination; keep the paused source for inspection.
                    String why = "verification failed: " + bad + "; the VM runs at the destination, the source "
                            + "VM stays paused for inspection";
                    LOG.error("migration {}: {}", plan.id(), why);
                    postcopyRunning = false;
                    closeChannels();
                    safe(() -> memory.dirtyLog().stop());
                    safe(vm::endMigration);
                    return report(MigrationStatus.FAILED, why);
                }
            }
            postcopyRunning = false;
            quietly(() -> control.send(Protocol.DONE));
            phase(MigrationPhase.DONE);
            cleanupSource(true);
            return report(MigrationStatus.COMPLETED, null);
        } catch (Exception | Error e) {
            if (!postcopyRunning) {
                throw e; // before the commit: the caller resumes the source
            }
            throw new PostcopyLost(reason(e), missing);
        } finally {
            faultWriter.close();
            reader.interrupt();
        }
    }

    /**
     * The source's control reader during postcopy: serves faulted pages at once on the control
     * connection, keeps the destination's progress, hands everything else to the main thread.
     */
    private void readPostcopyControl(BlockingQueue<Object> inbox, PageBatch.Writer w, int round) {
        ByteBuffer page = ByteBuffer.allocateDirect(Pages.SIZE);
        try {
            while (true) {
                Frame f = control.receive();
                switch (f.type()) {
                    case Protocol.PING -> {
                    }
                    case Protocol.REQUEST -> serveFaults(f, w, page, round);
                    case Protocol.PROGRESS -> {
                        ByteBuffer b = f.payload();
                        b.getLong(); // missing
                        b.getLong(); // block time
                        destinationGuest = new double[]{b.getDouble(), b.getDouble()};
                    }
                    default -> inbox.add(f);
                }
            }
        } catch (IOException | RuntimeException e) {
            inbox.add(e);
        }
    }

    private void serveFaults(Frame f, PageBatch.Writer w, ByteBuffer page, int round) throws IOException {
        ByteBuffer b = f.payload();
        int n = b.getInt();
        if (n < 0 || n > Protocol.MAX_REQUEST || b.remaining() != 8L * n) {
            throw new TransportException("malformed REQUEST frame");
        }
        pendingRequests.addAndGet(n);
        try {
            w.begin(round);
            for (int i = 0; i < n; i++) {
                long pfn = b.getLong();
                if (pfn < 0 || pfn >= pageCount) {
                    throw new TransportException("REQUEST names page " + pfn + " of " + pageCount);
                }
                pagesRequested.incrementAndGet();
                addPage(w, pfn, page);
                synchronized (requestedSinceSwitch) {
                    requestedSinceSwitch.set((int) pfn);
                }
                if (w.isFull()) {
                    control.send(Protocol.PAGES, w.array(), 0, w.length());
                    w.begin(round);
                }
            }
            if (w.pages() > 0) {
                control.send(Protocol.PAGES, w.array(), 0, w.length());
            }
        } finally {
            pendingRequests.addAndGet(-n);
        }
    }

    /** Pushes the missing pages in order over every stream, yielding to fault service. */
    private long[] push(int round, long[] order) throws Exception {
        for (int i = 0; i < writers.length; i++) {
            writers[i].close();
            writers[i] = new PageBatch.Writer(plan.compress(), POSTCOPY_FRAME_BYTES);
        }
        long zeroBefore = zeroPages.get();
        long sentBefore = pagesSent.get();
        long resentBefore = pagesResent.get();
        AtomicInteger cursor = new AtomicInteger();
        runOnStreams(stream -> pushShare(round, order, cursor, streams.get(stream), writers[stream]));
        flushStreams(0);
        return new long[]{pagesSent.get() - sentBefore, pagesResent.get() - resentBefore, zeroPages.get() - zeroBefore};
    }

    private void pushShare(int round, long[] order, AtomicInteger cursor, FrameChannel ch, PageBatch.Writer w)
            throws IOException {
        ByteBuffer page = ByteBuffer.allocateDirect(Pages.SIZE);
        w.begin(round);
        while (true) {
            if (pendingRequests.get() > 0) {
                // Faulted pages first (a vCPU waits for them): give the fault server the CPU, but
                // never stop the push, which brings most pages; stalling it while the guest keeps
                // faulting would leave only the one-by-one fault service.
                Thread.yield();
            }
            int from = cursor.getAndAdd(POSTCOPY_BATCH_PAGES);
            if (from >= order.length) {
                break;
            }
            int to = Math.min(order.length, from + POSTCOPY_BATCH_PAGES);
            for (int i = from; i < to; i++) {
                long pfn = order[i];
                if (wasRequestedSinceSwitch(pfn)) {
                    continue; // already served on a fault
                }
                addPage(w, pfn, page);
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

    /** Pages served on a fault since the postcopy switch: the push skips them. */
    private final BitSet requestedSinceSwitch = new BitSet();

    private boolean wasRequestedSinceSwitch(long pfn) {
        synchronized (requestedSinceSwitch) {
            return requestedSinceSwitch.get((int) pfn);
        }
    }

    /** The link or the destination was lost after the postcopy commit. */
    private MigrationReport postcopyLost(PostcopyLost e) {
        List<Long> never = new ArrayList<>();
        AtomicLong unsent = new AtomicLong();
        e.missing.forEach(pfn -> {
            if (!isSent(pfn)) {
                unsent.incrementAndGet();
                if (never.size() < 10) {
                    never.add(pfn);
                }
            }
        });
        long count = unsent.get();
        String why = "connection to the destination lost during postcopy (" + e.getMessage() + "); "
                + count + " of " + e.missing.size() + " postcopy pages never reached it"
                + (never.isEmpty() ? "" : " (e.g. " + never + ")")
                + "; the VM cannot continue at the destination, the source VM stays paused with the last full copy";
        LOG.error("migration {}: {}", plan.id(), why);
        postcopyRunning = false;
        closeChannels();
        stopTicker();
        safe(() -> memory.dirtyLog().stop());
        safe(vm::endMigration);
        return report(MigrationStatus.FAILED, why);
    }

    private FaultMode faultMode() {
        String m = plan.options().getOrDefault("fault-mode", "blocking").trim().toLowerCase(java.util.Locale.ROOT);
        return switch (m) {
            case "blocking" -> FaultMode.BLOCKING;
            case "cooperative" -> FaultMode.COOPERATIVE;
            default -> throw new IllegalArgumentException("option fault-mode must be blocking or cooperative, not '" + m + "'");
        };
    }

    private Frame takeFrame(BlockingQueue<Object> inbox, int type) throws IOException {
        Frame f = takeAny(inbox);
        if (f.type() != type) {
            throw new TransportException("expected " + Protocol.name(type) + " from the destination, got "
                    + Protocol.name(f.type()));
        }
        return f;
    }

    /** The next frame the postcopy reader passed on; a reader failure is rethrown here. */
    private Frame takeAny(BlockingQueue<Object> inbox) throws IOException {
        Object o;
        try {
            o = inbox.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportException("interrupted");
        }
        if (o instanceof Frame f) {
            if (f.type() == Protocol.ERROR) {
                throw new TransportException("destination failed: " + Protocol.in(f).readUTF());
            }
            return f;
        }
        Throwable t = (Throwable) o;
        throw t instanceof IOException io ? io : new TransportException(reason(t));
    }

    // ------------------------------------------------------------------ connection

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
        if (shape.postcopy()) {
            faultMode(); // a bad option fails before anything moves
        }
        stages();
        Endpoint to = plan.isLocal() ? receiver.localEndpoint() : plan.destination();
        limiter = new RateLimiter(plan.network().rate());
        control = receiver.connect(to, limiter);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        out.writeUTF(plan.id());
        out.writeInt(plan.streams());
        out.writeBoolean(plan.compress());
        out.writeBoolean(shape.postcopy());
        vm.spec().writeTo(out);
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
        workers = Executors.newFixedThreadPool(plan.streams(), r -> daemon(r, "vmlab-" + engineName + "-" + plan.id() + "-" + n.incrementAndGet()));
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
        Frame f = controlFrame();
        if (f.type() != type) {
            throw new TransportException("expected " + Protocol.name(type) + " from the destination, got "
                    + Protocol.name(f.type()));
        }
        return f;
    }

    /** The next control frame other than a ping; an ERROR from the destination is thrown. */
    private Frame controlFrame() throws IOException {
        while (true) {
            Frame f = control.receive();
            if (f.type() == Protocol.ERROR) {
                throw new TransportException("destination failed: " + Protocol.in(f).readUTF());
            }
            if (f.type() != Protocol.PING) {
                return f;
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

    // ------------------------------------------------------------------ sending

    /** Sends the pages in order over all streams; returns {pages, resent, zero}. */
    private long[] sendRound(int round, long[] order) throws Exception {
        long zeroBefore = zeroPages.get();
        long sentBefore = pagesSent.get();
        long resentBefore = pagesResent.get();
        AtomicInteger cursor = new AtomicInteger();
        runOnStreams(stream -> sendShare(round, order, cursor, streams.get(stream), writers[stream]));
        return new long[]{pagesSent.get() - sentBefore, pagesResent.get() - resentBefore, zeroPages.get() - zeroBefore};
    }

    /** Work for one stream's thread. */
    private interface StreamWork {
        void run(int stream) throws IOException;
    }

    /** Runs {@code work} on every stream's worker; the first failure closes all streams and is thrown. */
    private void runOnStreams(StreamWork work) throws Exception {
        if (setupNanos < 0) {
            setupNanos = System.nanoTime() - t0;
        }
        List<Future<?>> futures = new ArrayList<>();
        for (int s = 0; s < streams.size(); s++) {
            int stream = s;
            futures.add(workers.submit(() -> {
                work.run(stream);
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
                addPage(w, pfn, page);
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

    /** Adds one page (or its zero marker) to a batch, and counts it. */
    private void addPage(PageBatch.Writer w, long pfn, ByteBuffer page) {
        if (memory.isZero(pfn)) {
            w.addZero(pfn);
            zeroPages.incrementAndGet();
        } else {
            page.clear();
            memory.readPage(pfn, page);
            page.flip();
            w.addPage(pfn, page);
        }
        pagesSent.incrementAndGet();
        int word = (int) (pfn >>> 6);
        long bit = 1L << pfn;
        if ((everSent.getAndUpdate(word, v -> v | bit) & bit) != 0) {
            pagesResent.incrementAndGet();
        }
    }

    private boolean isSent(long pfn) {
        return (everSent.get((int) (pfn >>> 6)) & (1L << pfn)) != 0;
    }

    private synchronized void markStale(PageSet dirty) {
        dirty.forEach(pfn -> stale.set((int) pfn));
    }

    private synchronized PageSet staleSet() {
        return PageSet.ofBitmap(pageCount, stale.toLongArray());
    }

    private void flushStreams(long pages) throws IOException {
        for (FrameChannel ch : streams) {
            ch.send(Protocol.FLUSH, longBytes(pages));
        }
    }

    /** The SWITCHOVER / POSTCOPY_SWITCH payload: verify, [postcopy part,] device state. */
    private byte[] switchoverPayload(PostcopySwitch pc) throws IOException {
        byte[] device = vm.saveDeviceState();
        ByteArrayOutputStream b = new ByteArrayOutputStream(device.length + 64);
        DataOutputStream out = new DataOutputStream(b);
        out.writeBoolean(plan.verify());
        if (pc != null) {
            out.writeByte(pc.mode() == FaultMode.COOPERATIVE ? 1 : 0);
            long[] words = pc.missing().toBitmap();
            out.writeInt(words.length);
            for (long word : words) {
                out.writeLong(word);
            }
        }
        out.writeInt(device.length);
        out.write(device);
        out.flush();
        return b.toByteArray();
    }

    private record PostcopySwitch(FaultMode mode, PageSet missing) {
    }

    // ------------------------------------------------------------------ verification

    /** A source of control frames (the connection itself, or the postcopy reader's inbox). */
    private interface FrameSource {
        Frame next() throws IOException;
    }

    /** Compares destination page hashes with the paused source's; null if they agree. */
    private String verify(FrameSource frames) throws IOException {
        long[] theirs = new long[(int) pageCount];
        BitSet got = new BitSet();
        while (true) {
            Frame f = frames.next();
            if (f.type() == Protocol.VERIFY_READY) {
                break;
            }
            if (f.type() != Protocol.HASHES) {
                throw new TransportException("expected HASHES, got " + Protocol.name(f.type()));
            }
            Protocol.readHashes(f.payload(), theirs, got);
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
        if (!shape.postcopy()) {
            String differ = compareBytesIfLocal();
            if (differ != null) {
                return differ;
            }
        }
        Optional<MemoryInvariant> inv = vm.workload().flatMap(WorkloadRun::invariant);
        if (inv.isPresent()) {
            // Precopy: the destination's own memory when it is on this node, else the paused
            // source's (equal page for page, as the hashes just showed). Postcopy: the paused
            // source's, since the destination has run meanwhile.
            GuestMemory target = shape.postcopy() ? memory
                    : receiver.incomingVm(destVmId).map(Vm::memory).orElse(memory);
            InvariantResult r = inv.get().check(target);
            if (!r.holds()) {
                return "the workload invariant fails on the destination: " + r.detail() + " (pages "
                        + r.firstBadPages() + ")";
            }
        }
        return null;
    }

    /**
     * Where the destination VM is on this node, its memory is compared with the paused source's
     * byte for byte as well (the hashes already matched; this leaves not even a collision).
     */
    private String compareBytesIfLocal() {
        Optional<Vm> dest = receiver.incomingVm(destVmId);
        if (dest.isEmpty()) {
            return null;
        }
        GuestMemory theirs = dest.get().memory();
        ByteBuffer a = ByteBuffer.allocateDirect(Pages.SIZE);
        ByteBuffer b = ByteBuffer.allocateDirect(Pages.SIZE);
        for (long pfn = 0; pfn < pageCount; pfn++) {
            a.clear();
            b.clear();
            memory.readPage(pfn, a);
            theirs.readPage(pfn, b);
            if (!a.flip().equals(b.flip())) {
                return "page " + pfn + " differs byte for byte between source and destination although its hash matched";
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ ending

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
        double[] remote = destinationGuest;
        if (postcopyRunning && remote != null) {
            ops = remote[0];
            bps = remote[1];
        } else {
            Optional<WorkloadRun> w = vm.workload();
            if (w.isPresent()) {
                ThroughputSample t = w.get().latest();
                if (t != null) {
                    ops = t.opsPerSecond();
                    bps = t.bytesPerSecond();
                }
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
        boolean completed = status == MigrationStatus.COMPLETED;
        return new MigrationReport(plan.id(), status, plan.engine() == null ? engineName : plan.engine(),
                plan.ordering() == null ? "default" : plan.ordering(), plan.vmId(), destinationText, total,
                setupNanos < 0 ? total : setupNanos / 1_000_000,
                completed || postcopyResumedAt > 0 ? downtimeNanos / 1_000_000 : 0,
                bytesNetwork(), 0, rounds.size(), pagesSent.get(), pagesResent.get(), zero, verified,
                failure, rounds, tl, postcopyNanos / 1_000_000, pagesRequested.get(), blockNanos / 1_000_000);
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

    private interface IoRunnable {
        void run() throws IOException;
    }

    private static void quietly(IoRunnable r) {
        try {
            r.run();
        } catch (IOException | RuntimeException e) {
            LOG.debug("best-effort step failed: {}", e.toString());
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

    /** The destination was lost after a postcopy commit. */
    static final class PostcopyLost extends Exception {
        private static final long serialVersionUID = 1L;
        final transient PageSet missing;

        PostcopyLost(String message, PageSet missing) {
            super(message, null, false, false);
            this.missing = missing;
        }
    }
}
