package org.vmlab.engines;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BooleanSupplier;
import java.util.function.LongPredicate;

import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.Pages;
import org.vmlab.transport.PageBatch;

/**
 * Sends pages of guest memory in a given order over the link's streams, as page batches (zero
 * pages as markers only), and counts what it sent: pages, pages sent again, zero pages.
 * Thread-safe: the streams' workers and the postcopy fault server send at the same time.
 */
final class PageSender {
    /** Pages a worker takes from the shared order at a time. */
    private static final int BATCH_PAGES = 32;
    private static final int FRAME_BYTES = 256 * 1024;
    /** Smaller in postcopy, so that a faulted page never queues behind much push data. */
    private static final int POSTCOPY_BATCH_PAGES = 8;
    static final int POSTCOPY_FRAME_BYTES = 32 * 1024;

    /** What a send did. */
    record Counts(long pages, long resent, long zero) {
        static final Counts NONE = new Counts(0, 0, 0);

        Counts plus(Counts o) {
            return new Counts(pages + o.pages, resent + o.resent, zero + o.zero);
        }

        Counts minus(Counts o) {
            return new Counts(pages - o.pages, resent - o.resent, zero - o.zero);
        }
    }

    private final GuestMemory memory;
    private final SourceLink link;
    private final boolean compress;
    private final BooleanSupplier cancelled;
    private final Runnable beforeFirstSend;
    private final PageBatch.Writer[] writers;
    /** Pages sent at least once. */
    private final AtomicLongArray everSent;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong resent = new AtomicLong();
    private final AtomicLong zero = new AtomicLong();
    private final AtomicLong requested = new AtomicLong();
    private boolean started;

    /**
     * @param cancelled       polled between batches: true ends a send with {@link Failures.Cancelled}
     * @param beforeFirstSend runs once, before the first page goes (the end of the setup phase)
     */
    PageSender(GuestMemory memory, SourceLink link, boolean compress, BooleanSupplier cancelled,
               Runnable beforeFirstSend) {
        this.memory = memory;
        this.link = link;
        this.compress = compress;
        this.cancelled = cancelled;
        this.beforeFirstSend = beforeFirstSend;
        this.writers = new PageBatch.Writer[link.streamCount()];
        for (int i = 0; i < writers.length; i++) {
            writers[i] = new PageBatch.Writer(compress, FRAME_BYTES);
        }
        this.everSent = new AtomicLongArray((int) ((memory.pageCount() + 63) >>> 6));
    }

    /** Sends {@code order} over every stream, the streams taking batches from it in turn. */
    Counts send(int round, long[] order) throws Exception {
        return overStreams(round, order, BATCH_PAGES, pfn -> false, () -> false, true);
    }

    /**
     * The postcopy push: smaller frames, pages for which {@code skip} holds are left out (served
     * on a fault already), and the workers yield while {@code faultsPending} holds.
     */
    Counts push(int round, long[] order, LongPredicate skip, BooleanSupplier faultsPending) throws Exception {
        for (int i = 0; i < writers.length; i++) {
            writers[i].close();
            writers[i] = new PageBatch.Writer(compress, POSTCOPY_FRAME_BYTES);
        }
        return overStreams(round, order, POSTCOPY_BATCH_PAGES, skip, faultsPending, false);
    }

    private Counts overStreams(int round, long[] order, int batch, LongPredicate skip, BooleanSupplier yieldWhile,
                               boolean elide) throws Exception {
        synchronized (this) {
            if (!started) {
                started = true;
                beforeFirstSend.run();
            }
        }
        Counts before = counts();
        AtomicInteger cursor = new AtomicInteger();
        link.onEveryStream((stream, ch) -> {
            PageBatch.Writer w = writers[stream];
            w.begin(round);
            while (true) {
                if (cancelled.getAsBoolean()) {
                    throw new Failures.Cancelled();
                }
                if (yieldWhile.getAsBoolean()) {
                    // Faulted pages first (a vCPU waits for them): give the fault server the CPU,
                    // but never stop the push, which brings most pages.
                    Thread.yield();
                }
                int from = cursor.getAndAdd(batch);
                if (from >= order.length) {
                    break;
                }
                int to = Math.min(order.length, from + batch);
                for (int i = from; i < to; i++) {
                    if (!skip.test(order[i])) {
                        add(w, order[i], elide);
                        sendIfFull(ch, w, round);
                    }
                }
            }
            sendRest(ch, w, round);
        });
        return counts().minus(before);
    }

    /** Serves pages the destination's guest faulted on, at once, on {@code ch} (the control connection). */
    void serve(MigrationChannel ch, PageBatch.Writer w, int round, long[] pfns) throws IOException {
        w.begin(round);
        for (long pfn : pfns) {
            requested.incrementAndGet();
            add(w, pfn, false);
            sendIfFull(ch, w, round);
        }
        sendRest(ch, w, round);
    }

    private static void sendIfFull(MigrationChannel ch, PageBatch.Writer w, int round) throws IOException {
        if (w.isFull()) {
            ch.send(FrameType.PAGES, w);
            w.begin(round);
        }
    }

    private static void sendRest(MigrationChannel ch, PageBatch.Writer w, int round) throws IOException {
        if (w.pages() > 0) {
            ch.send(FrameType.PAGES, w);
            w.begin(round);
        }
    }

    /**
     * Adds one page (or its zero marker) to a batch, and counts it. With {@code elide}, a zero page
     * that never crossed is left out of the batch but counted as sent: the destination's copy is
     * zero already (not in postcopy, where the destination waits for every page it misses).
     */
    private void add(PageBatch.Writer w, long pfn, boolean elide) {
        if (memory.isZero(pfn)) {
            zero.incrementAndGet();
            if (elide && !wasSent(pfn)) {
                sent.incrementAndGet(); // counted as moved: the destination has it right
                return;
            }
            w.addZero(pfn);
        } else {
            w.addPage(pfn, memory);
        }
        sent.incrementAndGet();
        int word = (int) (pfn >>> 6);
        long bit = 1L << pfn;
        if ((everSent.getAndUpdate(word, v -> v | bit) & bit) != 0) {
            resent.incrementAndGet();
        }
    }

    /** Whether the page has been sent at least once. */
    boolean wasSent(long pfn) {
        return (everSent.get((int) (pfn >>> 6)) & (1L << pfn)) != 0;
    }

    /** Totals so far. */
    Counts counts() {
        return new Counts(sent.get(), resent.get(), zero.get());
    }

    /** Pages served on the destination's faults so far. */
    long requested() {
        return requested.get();
    }

    void close() {
        for (PageBatch.Writer w : writers) {
            w.close();
        }
    }
}
