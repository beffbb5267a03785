package org.vmlab.workloads;

import java.nio.ByteOrder;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

import org.vmlab.api.guest.FrameRange;
import org.vmlab.api.guest.GuestTask;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.parameter.ParameterValues;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.workload.MemoryInvariant;

/** A run of the {@link MemoryWorkload}: one writer task per vCPU, each owning a slice. */
public final class MemoryRun extends AbstractRun {

    /** The most page writes in one step (about 1-2 µs each with page fill). */
    static final int MAX_WRITES_PER_STEP = 32;
    static final long STEP_BUDGET_NANOS = 250_000;

    private final GuestHeader header;
    private final CounterPages invariant;
    private final ByteOrder order;
    private final double ratePagesPerSecond;
    private final int distribution;
    private final double zipfS;
    private final long seed;
    private final boolean resumed;

    MemoryRun(Vm vm, ParameterValues values, Map<String, String> effective, GuestHeader found) {
        super(MemoryWorkload.NAME, vm, effective);
        long rate = values.bytes("rate");
        this.ratePagesPerSecond = rate / (double) Pages.SIZE;
        this.zipfS = values.decimal("zipf-s");
        this.seed = values.integer("seed");
        this.resumed = found != null;
        if (found == null) {
            long pages = values.bytes("working-set") / Pages.SIZE;
            int dist = switch (values.choice("distribution")) {
                case "zipf" -> CounterPages.ZIPF;
                case "sequential" -> CounterPages.SEQUENTIAL;
                default -> CounterPages.UNIFORM;
            };
            int fill = values.choice("fill").equals("words") ? CounterPages.FILL_WORDS : CounterPages.FILL_PAGE;
            FrameRange region = AbstractWorkload.allocate(MemoryWorkload.NAME, vm, pages, "working-set");
            long wanted = values.integer("tasks");
            int tasks = wanted > 0 ? (int) Math.min(wanted, region.count() - 1) : AbstractWorkload.taskCount(vm, region.count() - 1);
            header = GuestHeader.create(vm.memory(), MemoryWorkload.NAME, region, tasks,
                    CounterPages.staticWords(region.first() + 1, region.count() - 1, dist, fill), effective);
        } else {
            header = found;
        }
        this.distribution = (int) header.staticWord(CounterPages.S_DISTRIBUTION);
        this.order = CounterPages.wordOrder(vm.memory(), header.pfn());
        this.invariant = new CounterPages(header.pfn());
    }

    @Override
    GuestHeader guestState() {
        return header;
    }

    @Override
    protected void startTasks() {
        int tasks = header.tasks();
        for (int t = 0; t < tasks; t++) {
            submit("writer-" + t, new Writer(t, tasks));
        }
    }

    @Override
    public Optional<MemoryInvariant> invariant() {
        return Optional.of(invariant);
    }

    /** The frames holding the run's header and working set. */
    public FrameRange region() {
        return header.region();
    }

    public long headerPfn() {
        return header.pfn();
    }

    /** Whether this run continued state found in guest memory. */
    public boolean resumed() {
        return resumed;
    }

    /** Page writes completed after initialisation, by all tasks, as guest memory records them. */
    public long guestWrites() {
        long sum = 0;
        for (int t = 0; t < header.tasks(); t++) {
            sum += header.task(t, CounterPages.T_WRITES);
        }
        return sum;
    }

    /** Whether every task has initialised its slice. */
    public boolean initialized() {
        long count = header.staticWord(CounterPages.S_DATA_COUNT);
        int tasks = header.tasks();
        for (int t = 0; t < tasks; t++) {
            long len = CounterPages.sliceStart(count, tasks, t + 1) - CounterPages.sliceStart(count, tasks, t);
            if (header.task(t, CounterPages.T_INIT) < len) {
                return false;
            }
        }
        return true;
    }

    private final class Writer implements GuestTask {
        private final CounterPages.Writer pages;
        private final TokenBucket bucket;
        private final SplittableRandom rng;
        private final ZipfSampler zipf;
        private final long stride;

        Writer(int task, int tasks) {
            this.pages = new CounterPages.Writer(vm.memory(), header, order, task);
            this.bucket = new TokenBucket(ratePagesPerSecond / tasks, 0.05);
            this.rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + task * 7919L + header.created());
            long len = pages.length();
            this.zipf = distribution == CounterPages.ZIPF ? new ZipfSampler(len, zipfS) : null;
            this.stride = scatterStride(len);
        }

        @Override
        public boolean step() {
            int n = bucket.take(MAX_WRITES_PER_STEP);
            if (n == 0) {
                return true;
            }
            long deadline = System.nanoTime() + STEP_BUDGET_NANOS;
            int done = 0;
            try {
                while (done < n) {
                    if (!pages.initialized()) {
                        pages.initNext();
                    } else {
                        pages.write(next());
                    }
                    done++;
                    if ((done & 7) == 0 && System.nanoTime() > deadline) {
                        break;
                    }
                }
                pages.flush();
            } finally {
                // Also when a cooperative postcopy fault abandons the step: the writes done count,
                // and the tokens of those not done go back (else a parked task would lose its rate).
                bucket.giveBack(n - done);
                ops.add(done);
                bytes.add((long) done * Pages.SIZE);
            }
            return true;
        }

        private long next() {
            long len = pages.length();
            switch (distribution) {
                case CounterPages.SEQUENTIAL:
                    return pages.writes() % len;
                case CounterPages.ZIPF:
                    return Math.floorMod((zipf.sample(rng) - 1) * stride, len);
                default:
                    return rng.nextLong(len);
            }
        }
    }

    /**
     * A stride coprime with {@code len} near len/φ, so Zipf ranks map to pages spread over the
     * slice (hot pages are scattered, as in a real heap) by a bijection.
     */
    static long scatterStride(long len) {
        if (len <= 2) {
            return 1;
        }
        long s = Math.max(1, (long) (len * 0.6180339887498949)) | 1;
        while (gcd(s, len) != 1) {
            s += 2;
        }
        return s % len == 0 ? 1 : s;
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
