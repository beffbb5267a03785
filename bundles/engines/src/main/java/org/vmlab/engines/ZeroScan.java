package org.vmlab.engines;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.function.BooleanSupplier;

import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.PageSet;

/**
 * Finds the zero pages of guest memory at memory bandwidth, on every processor: a zero page that
 * never crossed need not cross at all (the destination's fresh memory is zero), so a first round
 * skips it without a record on the wire, and postcopy never marks it missing. The dirty log runs
 * before the scan, so a page written after it was found zero is sent anyway.
 */
final class ZeroScan {
    /** Pages one task scans (256 MiB): a multiple of 64, large enough to amortise a task. */
    static final long SLICE = 64L * 1024;

    private ZeroScan() {
    }

    /**
     * The zero pages of {@code memory}.
     *
     * @param cancelled polled between slices; true ends the scan with {@link Failures.Cancelled}
     */
    static PageSet of(GuestMemory memory, BooleanSupplier cancelled) {
        long pages = memory.pageCount();
        long[] bits = new long[(int) ((pages + 63) >>> 6)];
        ForkJoinPool.commonPool().invoke(new Slice(memory, bits, 0, pages, cancelled));
        return PageSet.ofBitmap(pages, bits);
    }

    /** Scans {@code [from, to)} into {@code bits}, splitting while it is larger than {@link #SLICE}. */
    private static final class Slice extends RecursiveAction {
        private static final long serialVersionUID = 1L;
        private final transient GuestMemory memory;
        private final long[] bits;
        private final long from;
        private final long to;
        private final transient BooleanSupplier cancelled;

        Slice(GuestMemory memory, long[] bits, long from, long to, BooleanSupplier cancelled) {
            this.memory = memory;
            this.bits = bits;
            this.from = from;
            this.to = to;
            this.cancelled = cancelled;
        }

        @Override
        protected void compute() {
            if (to - from > SLICE) {
                long mid = from + ((to - from) / 2 / 64) * 64;
                invokeAll(new Slice(memory, bits, from, mid, cancelled), new Slice(memory, bits, mid, to, cancelled));
                return;
            }
            if (cancelled.getAsBoolean()) {
                throw new Failures.Cancelled();
            }
            long[] part = memory.zeroBitmap(from, to);
            // Disjoint words: from is a multiple of 64, so no two tasks write the same word.
            System.arraycopy(part, 0, bits, (int) (from >>> 6), part.length);
        }
    }
}
