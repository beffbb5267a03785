package org.vmlab.engines;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.PageCacheMap;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.migration.PageCacheTransfer;
import org.vmlab.api.pagecache.PageCacheDetector;
import org.vmlab.api.pagecache.PageCacheTracker;
import org.vmlab.api.pagecache.SanModel;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.parameter.ParameterSet;
import org.vmlab.api.parameter.ParameterValues;

/**
 * The page-cache teleport, source side (CLOUD'14, IEICE'16): at the start of precopy the detector
 * maps restorable frames to disk blocks; those frames leave the network's round 0 and go into one
 * {@link CacheQueue}. A SAN worker hands batches from the back to the destination, which reads
 * them from shared storage ({@link IncomingTeleport}), while the network sends the rest of memory
 * and then takes page cache from the front. Round 0 ends when both are done; frames the
 * destination found mismatched, and frames written since the map was taken (the dirty log), cross
 * the network in the next rounds.
 */
final class Teleport {
    private static final Logger LOG = LoggerFactory.getLogger(Teleport.class);
    /** Pages per TELEPORT batch (2 MiB): small enough that adaptive's two ends meet closely. */
    private static final int SAN_BATCH = 512;
    /** Batches the SAN worker keeps in flight, so the destination never waits for the next. */
    private static final int IN_FLIGHT = 2;
    /** Pages the network takes from the front at once. */
    private static final int NETWORK_CHUNK = 512;

    static final Parameter SPLIT = Parameter.text("split", "adaptive",
            "page cache over the network vs the SAN: adaptive (both paths take from one queue's two ends and finish"
                    + " together) or R in [0,1], the fixed network share of CLOUD'14 (R=1: no SAN)");
    static final Parameter SAN_LATENCY = Parameter.duration("san-latency", "1ms",
            "what each SAN request costs beside its bytes (seek and round trip); the plan's SAN latency overrides it");
    static final Parameter SAN_DEPTH = Parameter.integer("san-depth", "8", 1, 256,
            "SAN requests in flight at once (IOPS at most depth / latency)");
    static final List<Parameter> OPTIONS = List.of(SPLIT, SAN_LATENCY, SAN_DEPTH);

    private final Outgoing out;
    private final String detectorName;
    private final String split;
    private final CacheQueue queue;
    private final long mappingMs;
    private final long mapped;
    private final AtomicLong bytesSan = new AtomicLong();
    private final AtomicLong pagesSan = new AtomicLong();
    private final AtomicLong pagesNetwork = new AtomicLong();
    private final AtomicLong mismatchedCount = new AtomicLong();
    private final BitSet mismatched;
    private Thread worker;
    private volatile Exception sanFailure;
    private volatile long sanStart;
    private volatile long sanEnd;

    private Teleport(Outgoing out, String detectorName, String split, CacheQueue queue, long mappingMs, long mapped) {
        this.out = out;
        this.detectorName = detectorName;
        this.split = split;
        this.queue = queue;
        this.mappingMs = mappingMs;
        this.mapped = mapped;
        this.mismatched = new BitSet(Math.toIntExact(out.memory().pageCount()));
    }

    /** The network share R of {@code split=R}, or -1 for adaptive; a bad value is one sentence. */
    static double networkShare(String split) {
        if (split.equals("adaptive")) {
            return -1;
        }
        try {
            double r = Double.parseDouble(split);
            if (r >= 0 && r <= 1) {
                return r;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("option split must be adaptive or a number in [0, 1], not '" + split + "'");
    }

    /**
     * Takes the map, removes its frames from round 0, opens the SAN path at the destination and
     * starts the SAN worker.
     */
    static Teleport start(Outgoing out, PageCacheDetector detector) throws Exception {
        var plan = out.plan();
        if (plan.san() == null) {
            throw new VmlabException("page-cache detector '" + plan.detector() + "' needs a SAN path (--san-rate)");
        }
        ParameterValues v = ParameterSet.options("page-cache teleport", OPTIONS).validate(
                only(plan.options(), OPTIONS));
        String split = v.text(SPLIT.name());
        double r = networkShare(split);
        detector.unsupportedReason(out.vm()).ifPresent(why -> {
            throw new VmlabException("page-cache detector '" + plan.detector() + "' cannot track VM '"
                    + out.vm().id() + "': " + why);
        });
        long t0 = System.nanoTime();
        PageCacheMap map;
        try (PageCacheTracker tracker = detector.track(out.vm())) {
            map = tracker.restorable();
        }
        long mappingMs = (System.nanoTime() - t0) / 1_000_000;
        // Only frames still to send (zero pages are elided already), ordered by block.
        BitSet stale = out.stale().copy();
        long[] pfns = map.pfns();
        long[] blocks = map.blocks();
        int n = 0;
        for (int i = 0; i < pfns.length; i++) {
            if (blocks[i] > Integer.MAX_VALUE) {
                throw new VmlabException("page-cache teleport supports disks of up to 2^31 blocks (8 TiB)");
            }
            if (pfns[i] < stale.length() && stale.get((int) pfns[i])) {
                pfns[n] = pfns[i];
                blocks[n++] = blocks[i];
            }
        }
        // Sort by block without boxing: (block << 32 | index), blocks and indexes both below 2^31.
        long[] keyed = new long[n];
        for (int i = 0; i < n; i++) {
            keyed[i] = blocks[i] << 32 | i;
        }
        Arrays.sort(keyed);
        long[] qp = new long[n];
        long[] qb = new long[n];
        for (int i = 0; i < n; i++) {
            int at = (int) keyed[i];
            qp[i] = pfns[at];
            qb[i] = blocks[at];
        }
        out.stale().clear(qp);
        CacheQueue queue = new CacheQueue(qp, qb, r < 0 ? -1 : CacheQueue.limitFor(r, n));
        Teleport t = new Teleport(out, plan.detector(), r < 0 ? "adaptive" : "split=" + split, queue, mappingMs,
                map.size());
        LOG.info("migration {}: {} mapped {} restorable pages in {} ms, {} still to send; split {}", plan.id(),
                plan.detector(), map.size(), mappingMs, n, t.split);
        if (queue.sanHasShare() && n > 0) {
            long latency = plan.san().latency().isZero() ? v.duration(SAN_LATENCY.name()).toNanos()
                    : plan.san().latency().toNanos();
            SanModel model = new SanModel(plan.san().rate(), java.time.Duration.ofNanos(latency),
                    v.intValue(SAN_DEPTH.name()), 64);
            out.link().control().send(new TeleportMessages.SanOpen(model));
            out.link().control().expect(FrameType.SAN_READY);
            t.worker = new Thread(t::sanLoop, out.threadName("san"));
            t.worker.setDaemon(true);
            t.worker.start();
        }
        return t;
    }

    private static Map<String, String> only(Map<String, String> options, List<Parameter> ps) {
        return options.entrySet().stream().filter(e -> ps.stream().anyMatch(p -> p.name().equals(e.getKey())))
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    /** The SAN worker: batches from the back of the queue, {@link #IN_FLIGHT} at a time. */
    private void sanLoop() {
        sanStart = System.nanoTime();
        Deque<CacheQueue.Range> inFlight = new ArrayDeque<>();
        try {
            while (true) {
                while (inFlight.size() < IN_FLIGHT && !out.context().isCancelled()) {
                    CacheQueue.Range r = queue.takeBack(SAN_BATCH);
                    if (r.isEmpty()) {
                        break;
                    }
                    long[] p = new long[r.size()];
                    long[] b = new long[r.size()];
                    long[] h = new long[r.size()];
                    for (int i = 0; i < p.length; i++) {
                        p[i] = queue.pfn(r.from() + i);
                        b[i] = queue.block(r.from() + i);
                        h[i] = out.memory().pageHash(p[i]);
                    }
                    out.link().control().send(new TeleportMessages.Teleport(p, b, h));
                    inFlight.add(r);
                }
                if (inFlight.isEmpty()) {
                    break;
                }
                TeleportMessages.Teleported done = out.link().control().expect(FrameType.TELEPORTED,
                        TeleportMessages.Teleported::read);
                CacheQueue.Range r = inFlight.poll();
                bytesSan.addAndGet(done.bytesSan());
                pagesSan.addAndGet(r.size() - done.mismatched().length);
                mismatchedCount.addAndGet(done.mismatched().length);
                synchronized (mismatched) {
                    for (long pfn : done.mismatched()) {
                        mismatched.set((int) pfn);
                    }
                }
            }
        } catch (Exception e) {
            sanFailure = e;
            LOG.warn("migration {}: SAN path failed: {}", out.plan().id(), Failures.reason(e));
        } finally {
            sanEnd = System.nanoTime();
        }
    }

    /**
     * The network's part, after the rest of round 0: page cache from the front of the queue
     * until the two paths meet. Waits for the SAN worker, then marks what it could not place.
     */
    PageSender.Counts finishRoundZero(int round) throws Exception {
        PageSender.Counts counts = PageSender.Counts.NONE;
        while (true) {
            out.checkCancelled();
            CacheQueue.Range r = queue.takeFront(NETWORK_CHUNK);
            if (r.isEmpty()) {
                break;
            }
            counts = counts.plus(sendRange(round, r));
        }
        if (worker != null) {
            worker.join();
        }
        if (sanFailure != null) {
            throw sanFailure; // the migration fails; the source keeps running
        }
        synchronized (mismatched) {
            out.stale().mark(PageSet.ofBitmap(out.memory().pageCount(), mismatched.toLongArray()));
        }
        LOG.info("migration {}: page cache: {} pages over the SAN ({} MB, {} ms), {} over the network, {} mismatched",
                out.plan().id(), pagesSan.get(), bytesSan.get() / 1_000_000, sanMillis(), pagesNetwork.get(),
                mismatchedCount.get());
        return counts;
    }

    private PageSender.Counts sendRange(int round, CacheQueue.Range r) throws Exception {
        long[] p = new long[r.size()];
        for (int i = 0; i < p.length; i++) {
            p[i] = queue.pfn(r.from() + i);
        }
        PageSender.Counts c = out.sender().send(round, p);
        pagesNetwork.addAndGet(p.length);
        return c;
    }

    private long sanMillis() {
        long s = sanStart;
        long e = sanEnd;
        return s == 0 ? 0 : ((e == 0 ? System.nanoTime() : e) - s) / 1_000_000;
    }

    long bytesSan() {
        return bytesSan.get();
    }

    /** What the report says about the teleport so far. */
    PageCacheTransfer transfer() {
        return new PageCacheTransfer(detectorName, split, mapped, pagesNetwork.get(), pagesSan.get(),
                mismatchedCount.get(), mappingMs, sanMillis());
    }
}
