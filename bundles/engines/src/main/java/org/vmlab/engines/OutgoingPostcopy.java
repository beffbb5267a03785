package org.vmlab.engines;

import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.migration.MigrationPhase;
import org.vmlab.api.migration.Verification;
import org.vmlab.engines.Messages.Complete;
import org.vmlab.engines.Messages.PostcopySwitch;
import org.vmlab.engines.Messages.Progress;
import org.vmlab.engines.Messages.Request;
import org.vmlab.transport.Frame;
import org.vmlab.transport.PageBatch;
import org.vmlab.transport.TransportException;

/**
 * The source side of postcopy, mirroring {@link IncomingPostcopy}: with the source paused, the
 * device state and the set of pages the destination will miss cross; on COMMIT the VM resumes
 * there at once, and the missing pages follow in the ordering policy's order on the data streams
 * while a reader serves the destination's faults ahead of that push on the control connection.
 *
 * <p>Before the commit a failure is thrown as it is (the caller resumes the source). After it the
 * VM lives only at the destination: a lost link or a failed verification ends with
 * {@link Failures.PastCommit}, and the paused source keeps the last full copy.
 */
final class OutgoingPostcopy {
    private static final Logger LOG = LoggerFactory.getLogger(OutgoingPostcopy.class);

    private final Outgoing out;
    private final MigrationChannel control;
    /** Frames (or the reader's failure) the fault reader passes on to the main thread. */
    private final BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    private final AtomicInteger pendingRequests = new AtomicInteger();
    /** Pages served on a fault since the switch: the push skips them. */
    private final BitSet requested = new BitSet();
    private volatile boolean committed;
    /** The pages the destination misses after the switch. */
    private volatile PageSet missing;

    OutgoingPostcopy(Outgoing out) {
        this.out = out;
        this.control = out.link().control();
    }

    /**
     * Runs the postcopy switchover and phase; the source VM has just been paused.
     *
     * @param round      the number of the postcopy round (after any precopy rounds)
     * @param pauseStart {@link System#nanoTime()} when the pause began
     * @throws Failures.PastCommit if the migration failed after the commit
     */
    void run(int round, long pauseStart) throws Exception {
        out.stale().mark(out.log().sync());
        PageSet missing = out.stale().snapshot();
        this.missing = missing;
        out.link().flush(0);
        byte[] device = out.vm().saveDeviceState();
        long synced = System.nanoTime();
        control.send(new PostcopySwitch(out.plan().verify(), out.options().faultMode(), missing, device));
        LOG.debug("migration {}: paused; synced and saved {} bytes of device state in {} ms, switch sent in {} ms",
                out.plan().id(), device.length, (synced - pauseStart) / 1_000_000, (System.nanoTime() - synced) / 1_000_000);
        PageBatch.Writer faultWriter = new PageBatch.Writer(out.plan().compress(), PageSender.POSTCOPY_FRAME_BYTES);
        Thread reader = new Thread(() -> readControl(faultWriter, round), out.threadName("faults"));
        reader.setDaemon(true);
        reader.start();
        Telemetry t = out.telemetry();
        try {
            Messages.PostcopyReady ready = MigrationChannel.read(
                    MigrationChannel.requireType(take(), FrameType.POSTCOPY_READY), Messages.PostcopyReady::read);
            out.checkCancelled();
            committed = true;
            control.send(FrameType.COMMIT);
            MigrationChannel.requireType(take(), FrameType.RESUMED);
            t.verifyTime(ready.verifyNanos()); // the destination's hashing, in the pause
            long downtime = t.resumed(pauseStart);
            LOG.info("migration {}: VM runs at the destination after {} ms; {} pages follow by postcopy ({} faults)",
                    out.plan().id(), downtime / 1_000_000, missing.size(),
                    out.options().faultMode().name().toLowerCase(Locale.ROOT));
            t.phase(MigrationPhase.POSTCOPY);
            long[] order = out.order(round, missing);
            long bytesBefore = t.bytesNetwork();
            long start = System.nanoTime();
            PageSender.Counts before = out.sender().counts();
            out.sender().push(round, order, this::wasRequested, () -> pendingRequests.get() > 0);
            out.link().flush(0);
            Complete complete = MigrationChannel.read(MigrationChannel.requireType(take(), FrameType.COMPLETE),
                    Complete::read);
            t.postcopyTimes(complete.postcopyNanos(), complete.blockNanos());
            t.round(round, out.sender().counts().minus(before), t.bytesNetwork() - bytesBefore,
                    System.nanoTime() - start, 0);
            if (out.plan().verify()) {
                t.phase(MigrationPhase.VERIFY);
                long verifyStart = System.nanoTime();
                String bad = new SourceVerifier(out.vm(), java.util.Optional.empty()).verify(this::take, true);
                t.verifyTime(System.nanoTime() - verifyStart);
                t.verification(bad == null ? Verification.PASSED : Verification.FAILED);
                if (bad != null) {
                    throw new Failures.PastCommit("verification failed: " + bad + "; the VM runs at the destination,"
                            + " the source VM stays paused for inspection");
                }
            }
            t.destinationGuest(null);
            control.sendQuietly(FrameType.DONE);
            t.phase(MigrationPhase.DONE);
        } catch (Failures.PastCommit e) {
            throw e;
        } catch (Exception | Error e) {
            if (!committed) {
                throw e; // before the commit: the caller resumes the source
            }
            throw new Failures.PastCommit(lost(Failures.reason(e), missing));
        } finally {
            t.destinationGuest(null);
            faultWriter.close();
            reader.interrupt();
        }
    }

    /** Why the destination cannot go on, naming pages it never got. */
    private String lost(String why, PageSet missing) {
        List<Long> never = new ArrayList<>();
        long[] unsent = {0};
        missing.forEach(pfn -> {
            if (!out.sender().wasSent(pfn)) {
                unsent[0]++;
                if (never.size() < 10) {
                    never.add(pfn);
                }
            }
        });
        return "connection to the destination lost during postcopy (" + why + "); " + unsent[0] + " of "
                + missing.size() + " postcopy pages never reached it" + (never.isEmpty() ? "" : " (e.g. " + never + ")")
                + "; the VM cannot continue at the destination, the source VM stays paused with the last full copy";
    }

    /**
     * The control connection during postcopy: serves faulted pages at once, keeps the
     * destination's progress, hands everything else to the main thread.
     */
    private void readControl(PageBatch.Writer w, int round) {
        long pages = out.memory().pageCount();
        try {
            while (true) {
                Frame f = control.receive();
                switch (FrameType.of(f.type())) {
                    case PING -> {
                    }
                    case REQUEST -> serve(Request.read(f, pages).pfns(), w, round);
                    case PROGRESS -> {
                        Progress p = MigrationChannel.read(f, Progress::read);
                        out.telemetry().destinationGuest(new double[]{p.opsPerSecond(), p.bytesPerSecond(), p.p99Micros()});
                    }
                    default -> inbox.add(f);
                }
            }
        } catch (IOException | RuntimeException e) {
            inbox.add(e);
        }
    }

    private void serve(long[] pfns, PageBatch.Writer w, int round) throws IOException {
        long[] pages = withNeighbours(pfns);
        pendingRequests.addAndGet(pages.length);
        try {
            out.sender().serve(control, w, round, pages);
        } finally {
            pendingRequests.addAndGet(-pages.length);
        }
    }

    /**
     * The faulted pages, each followed by up to {@code fault-prefetch} next pages that are still
     * missing and not sent yet (a guest that touched one page often reads on); all of them are
     * marked so the push skips them.
     */
    private long[] withNeighbours(long[] pfns) {
        int prefetch = out.options().faultPrefetch();
        long[] pages = new long[pfns.length * (1 + prefetch)];
        int n = 0;
        synchronized (requested) {
            for (long pfn : pfns) {
                if (!requested.get((int) pfn)) { // a page asked for twice goes once
                    requested.set((int) pfn);
                    pages[n++] = pfn;
                }
                for (long next = pfn + 1; next <= pfn + prefetch && next < missing.capacity(); next++) {
                    if (missing.contains(next) && !requested.get((int) next) && !out.sender().wasSent(next)) {
                        requested.set((int) next);
                        pages[n++] = next;
                    }
                }
            }
        }
        return java.util.Arrays.copyOf(pages, n);
    }

    private boolean wasRequested(long pfn) {
        synchronized (requested) {
            return requested.get((int) pfn);
        }
    }

    /** The next frame the reader passed on; the destination's ERROR or the reader's failure is thrown here. */
    private Frame take() throws IOException {
        Object o;
        try {
            o = inbox.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportException("interrupted");
        }
        if (o instanceof Frame f) {
            if (f.type() == FrameType.ERROR.code) {
                throw new TransportException("destination failed: " + Messages.Reason.read(f));
            }
            return f;
        }
        Throwable e = (Throwable) o;
        throw e instanceof IOException io ? io : new TransportException(Failures.reason(e));
    }
}
