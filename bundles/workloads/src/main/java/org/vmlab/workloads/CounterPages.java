package org.vmlab.workloads;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.workload.InvariantResult;
import org.vmlab.api.workload.MemoryInvariant;

/**
 * Counter pages: the in-guest data structure behind the memory workload (and the database
 * buffer pool) and the invariant it keeps.
 *
 * <p>Layout. A header page ({@link GuestHeader}) is followed by {@code D} data pages split into
 * one contiguous slice per task; only task {@code t} ever touches slice {@code t} and its own
 * header words, so tasks never race. Every data page holds a counter {@code c} in word 0, the
 * check word {@code f(c, pfn)} in word 1 and, in {@code page} fill, a pseudo-random stream seeded
 * by the check word in words 2..511 (so the whole page changes on every write and does not
 * compress). A write rewrites the whole page with {@code c + 1}. Per task the header holds
 * {@code init} (slice pages initialised to {@code c = 0}, in order) and {@code writes} (writes
 * since initialisation); every page write is followed by the store of its task's word, and both
 * pages are touched first, so a postcopy fault cannot split them.
 *
 * <p>Invariant, for every task: pages {@code [0, init)} of the slice pass their check word (and
 * stream); if {@code init} is below the slice length then {@code writes = 0}; the counters of the
 * slice sum to {@code writes}; with the sequential distribution, page {@code i} holds exactly
 * {@code writes / len + (i < writes % len ? 1 : 0)} (one sweep boundary). It holds between any
 * two steps, which is where pause, throttle and snapshot stop the vCPUs, and also while a task is
 * parked on a cooperative postcopy fault. A page that misses its last write (a lost dirty page) breaks
 * the sum; a torn or foreign page breaks its check word; a stale header breaks the sum.
 */
public final class CounterPages implements MemoryInvariant {

    static final int UNIFORM = 0;
    static final int ZIPF = 1;
    static final int SEQUENTIAL = 2;
    static final int FILL_PAGE = 0;
    static final int FILL_WORDS = 1;

    /** Static header words. */
    static final int S_DATA_FIRST = 0;
    static final int S_DATA_COUNT = 1;
    static final int S_DISTRIBUTION = 2;
    static final int S_FILL = 3;
    /** Per-task header words. */
    static final int T_INIT = 0;
    static final int T_WRITES = 1;

    private final long headerPfn;

    /** The invariant of the counter pages whose header is at {@code headerPfn}. */
    public CounterPages(long headerPfn) {
        this.headerPfn = headerPfn;
    }

    public long headerPfn() {
        return headerPfn;
    }

    static long[] staticWords(long dataFirst, long dataCount, int distribution, int fill) {
        return new long[] {dataFirst, dataCount, distribution, fill};
    }

    static long sliceStart(long dataCount, int tasks, int t) {
        return dataCount * t / tasks;
    }

    /** The byte order in which the memory's {@code getLong} sees page bytes. */
    static ByteOrder wordOrder(GuestMemory memory, long headerPfn) {
        ByteBuffer b = ByteBuffer.allocate(Pages.SIZE);
        memory.readPage(headerPfn, b);
        long big = b.getLong(0);
        return big == GuestHeader.MAGIC ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    }

    static void fillPage(ByteBuffer page, long c, long pfn, boolean stream) {
        long check = Mix.check(c, pfn);
        page.putLong(0, c);
        page.putLong(8, check);
        if (stream) {
            long x = check;
            for (int off = 16; off < Pages.SIZE; off += 8) {
                x += 0x9E3779B97F4A7C15L;
                page.putLong(off, Mix.mix64(x));
            }
        }
    }

    @Override
    public InvariantResult check(GuestMemory memory) {
        GuestHeader h = GuestHeader.at(memory, headerPfn);
        String problem;
        try {
            problem = h.problem();
        } catch (IndexOutOfBoundsException e) {
            problem = "header page " + headerPfn + " is outside the guest memory";
        }
        if (problem != null) {
            return new InvariantResult(false, 0, 0, List.of(headerPfn), problem);
        }
        ByteOrder order = wordOrder(memory, headerPfn);
        long first = h.staticWord(S_DATA_FIRST);
        long count = h.staticWord(S_DATA_COUNT);
        int distribution = (int) h.staticWord(S_DISTRIBUTION);
        boolean stream = h.staticWord(S_FILL) == FILL_PAGE;
        int tasks = h.tasks();
        ByteBuffer page = ByteBuffer.allocate(Pages.SIZE).order(order);
        ByteBuffer expect = ByteBuffer.allocate(Pages.SIZE).order(order);
        List<Long> bad = new ArrayList<>();
        String detail = null;
        long checked = 1;
        long steps = 0;
        for (int t = 0; t < tasks; t++) {
            long start = sliceStart(count, tasks, t);
            long len = sliceStart(count, tasks, t + 1) - start;
            long init = h.task(t, T_INIT);
            long writes = h.task(t, T_WRITES);
            if (init < 0 || init > len || writes < 0 || (init < len && writes != 0)) {
                if (detail == null) {
                    detail = "task " + t + ": header counters are inconsistent (init " + init
                            + " of " + len + " pages, writes " + writes + ")";
                }
                addBad(bad, headerPfn);
                continue;
            }
            steps += init + writes;
            long sum = 0;
            for (long i = 0; i < init; i++) {
                long pfn = first + start + i;
                page.clear();
                memory.readPage(pfn, page);
                long c = page.getLong(0);
                String why = null;
                if (page.getLong(8) != Mix.check(c, pfn)) {
                    why = "check word does not match counter " + c;
                } else if (stream) {
                    fillPage(expect, c, pfn, true);
                    if (!page.clear().equals(expect.clear())) {
                        why = "content differs from what counter " + c + " wrote";
                    }
                }
                if (why == null && distribution == SEQUENTIAL) {
                    long want = writes / len + (i < writes % len ? 1 : 0);
                    if (c != want) {
                        why = "sequential sweep: counter " + c + ", expected " + want
                                + " (task " + t + " at write " + writes + ")";
                    }
                }
                if (why != null) {
                    addBad(bad, pfn);
                    if (detail == null) {
                        detail = "page " + pfn + ": " + why;
                    }
                } else {
                    sum += c;
                }
                checked++;
            }
            if (sum != writes && detail == null && bad.isEmpty()) {
                detail = "task " + t + ": counters of its " + len + " pages sum to " + sum
                        + " but it completed " + writes + " writes (a write was lost)";
            }
        }
        boolean holds = detail == null;
        return new InvariantResult(holds, checked, steps, holds ? List.of() : bad,
                holds ? checked + " pages consistent after " + steps + " page writes" : detail);
    }

    private static void addBad(List<Long> bad, long pfn) {
        if (bad.size() < InvariantResult.MAX_BAD_PAGES && !bad.contains(pfn)) {
            bad.add(pfn);
        }
    }

    /** The writer of one task's slice; used only by that task's steps. */
    static final class Writer {
        private final GuestMemory memory;
        private final GuestHeader header;
        private final int task;
        private final long sliceFirst;
        private final long len;
        private final boolean stream;
        private final ByteBuffer page;
        private long init;
        private long writes;

        Writer(GuestMemory memory, GuestHeader header, ByteOrder order, int task) {
            this.memory = memory;
            this.header = header;
            this.task = task;
            long count = header.staticWord(S_DATA_COUNT);
            long start = sliceStart(count, header.tasks(), task);
            this.sliceFirst = header.staticWord(S_DATA_FIRST) + start;
            this.len = sliceStart(count, header.tasks(), task + 1) - start;
            this.stream = header.staticWord(S_FILL) == FILL_PAGE;
            this.page = ByteBuffer.allocate(Pages.SIZE).order(order);
            this.init = header.task(task, T_INIT);
            this.writes = header.task(task, T_WRITES);
        }

        long length() {
            return len;
        }

        boolean initialized() {
            return init >= len;
        }

        long writes() {
            return writes;
        }

        /** Initialises the next page of the slice to counter 0. */
        void initNext() {
            long pfn = sliceFirst + init;
            touch(pfn);
            page.clear();
            if (!stream) {
                for (int off = 16; off < Pages.SIZE; off += 8) {
                    page.putLong(off, 0);
                }
            }
            fillPage(page, 0, pfn, stream);
            memory.writePage(pfn, page);
            init++;
            header.setTask(task, T_INIT, init);
        }

        /** One write: page {@code index} of the slice gets its counter incremented. */
        void write(long index) {
            long pfn = sliceFirst + index;
            touch(pfn);
            long off = Pages.offset(pfn);
            long c = memory.getLong(off) + 1;
            if (stream) {
                page.clear();
                fillPage(page, c, pfn, true);
                memory.writePage(pfn, page);
            } else {
                memory.putLong(off, c);
                memory.putLong(off + 8, Mix.check(c, pfn));
            }
            writes++;
            header.setTask(task, T_WRITES, writes);
        }

        /**
         * Touches the data page and the header before a write changes either, so that a postcopy
         * fault (which abandons a cooperative step and re-runs it later) can only happen before
         * the write: each write and its header update then happen together, and the invariant
         * holds even while a task is parked mid-step.
         */
        private void touch(long pfn) {
            memory.getLong(Pages.offset(pfn));
            memory.getLong(Pages.offset(header.pfn()));
        }

        /** Stores the task's counters in the header again (each write already did). */
        void flush() {
            header.setTask(task, T_INIT, init);
            header.setTask(task, T_WRITES, writes);
        }
    }
}
