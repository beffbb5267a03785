package org.vmlab.workloads;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.ByteSize;
import org.vmlab.api.guest.FrameRange;
import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.guest.GuestTask;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.parameter.ParameterValues;
import org.vmlab.api.vm.Vm;

/**
 * A run of the {@link WebWorkload}. Its header page (reserved from the guest) keeps per task the
 * warm-up position, requests served and blocks read, and globally whether and in how long the
 * warm-up completed, so a resumed run neither warms twice nor loses its counts.
 */
public final class WebRun extends AbstractRun {

    private static final Logger LOG = LoggerFactory.getLogger(WebRun.class);

    static final int MAX_BLOCKS_PER_STEP = 64;
    static final long STEP_BUDGET_NANOS = 250_000;

    static final int S_DATA_BLOCKS = 0;
    static final int S_FILE_BLOCKS = 1;
    static final int S_PRIVATE_PAGES = 2;
    static final int G_WARM_DONE = 0;
    static final int G_WARM_MILLIS = 1;
    static final int G_PRIVATE_READY = 2;
    static final int T_WARM_POS = 0;
    static final int T_REQUESTS = 1;
    static final int T_BLOCKS = 2;

    private final GuestOs os;
    private final GuestHeader header;
    private final long dataBlocks;
    private final long fileBlocks;
    private final long files;
    private final boolean warm;
    private final double rate;
    private final boolean zipf;
    private final double zipfS;
    private final long seed;
    private final long privatePages;
    private final int touch;
    private final Requests requests = new Requests();
    private final long startNanos = System.nanoTime();
    private final AtomicInteger warmTasksLeft = new AtomicInteger();
    private volatile long warmMillis = -1;

    WebRun(Vm vm, ParameterValues values, Map<String, String> effective, GuestHeader found) {
        super(WebWorkload.NAME, vm, effective);
        this.os = AbstractWorkload.requireGuestOs(WebWorkload.NAME, vm);
        this.rate = values.decimal("rate");
        this.zipf = values.choice("popularity").equals("zipf");
        this.zipfS = values.decimal("zipf-s");
        this.seed = values.integer("seed");
        this.warm = values.bool("warm");
        this.touch = values.intValue("touch");
        long blocks = Pages.count(values.bytes("files"));
        long fb = Pages.count(values.bytes("file-size"));
        if (found == null) {
            long disk = os.diskBlocks();
            if (disk < blocks) {
                throw new IllegalArgumentException("parameter 'files' of workload 'web': the data set of "
                        + new ByteSize(blocks * Pages.SIZE) + " needs a disk at least that large, but VM '"
                        + vm.id() + "' has " + (disk == 0 ? "no disk" : "a disk of " + new ByteSize(disk * Pages.SIZE))
                        + "; allowed: at most " + new ByteSize(disk * Pages.SIZE));
            }
            if (fb > blocks) {
                throw new IllegalArgumentException("parameter 'file-size' of workload 'web': "
                        + new ByteSize(fb * Pages.SIZE) + " is larger than the data set (files="
                        + new ByteSize(blocks * Pages.SIZE) + "); allowed: at most the files size");
            }
            int tasks = values.intValue("tasks") > 0 ? values.intValue("tasks") : AbstractWorkload.taskCount(vm, blocks);
            long priv = Pages.count(values.bytes("private"));
            FrameRange region = AbstractWorkload.allocate(WebWorkload.NAME, vm, 1 + tasks * priv,
                    priv > 0 ? "private" : "files");
            header = GuestHeader.create(vm.memory(), WebWorkload.NAME, region, tasks,
                    new long[] {blocks, fb, priv}, effective);
            DataSet.ensure(WebWorkload.NAME, vm, os, blocks, values.choice("content"), seed);
        } else {
            header = found;
        }
        this.privatePages = header.staticWord(S_PRIVATE_PAGES);
        this.dataBlocks = header.staticWord(S_DATA_BLOCKS);
        this.fileBlocks = header.staticWord(S_FILE_BLOCKS);
        this.files = Math.max(1, dataBlocks / fileBlocks);
        if (header.global(G_WARM_DONE) != 0) {
            warmMillis = header.global(G_WARM_MILLIS);
        }
    }

    @Override
    GuestHeader guestState() {
        return header;
    }

    @Override
    Requests responseTimes() {
        return requests;
    }

    @Override
    protected void startTasks() {
        int tasks = header.tasks();
        boolean warming = warm && header.global(G_WARM_DONE) == 0;
        int left = 0;
        if (warming) {
            for (int t = 0; t < tasks; t++) {
                if (header.task(t, T_WARM_POS) < chunkLength(t)) {
                    left++;
                }
            }
            warmTasksLeft.set(left);
            if (left == 0) {
                warmDone();
            }
        }
        for (int t = 0; t < tasks; t++) {
            submit("server-" + t, new Server(t, warming && header.task(t, T_WARM_POS) < chunkLength(t)));
        }
    }

    private long chunkStart(int t) {
        return dataBlocks * t / header.tasks();
    }

    private long chunkLength(int t) {
        return chunkStart(t + 1) - chunkStart(t);
    }

    private void warmDone() {
        long ms = (System.nanoTime() - startNanos) / 1_000_000;
        header.setGlobal(G_WARM_MILLIS, ms);
        header.setGlobal(G_WARM_DONE, 1);
        warmMillis = ms;
        LOG.info("web on VM {}: warmed {} of page cache in {} ms", vm.id(),
                new ByteSize(dataBlocks * Pages.SIZE), ms);
    }

    /** Whether the warm-up has completed (false while warming, or without warm=true). */
    public boolean warmed() {
        return warmMillis >= 0;
    }

    /** The time the warm-up took, in ms, or -1 before it completed. */
    public long warmupMillis() {
        return warmMillis;
    }

    /** The fraction of the data set the warm-up has read, 0 to 1 (1 once warmed). */
    public double warmProgress() {
        if (warmed()) {
            return 1;
        }
        long done = 0;
        for (int t = 0; t < header.tasks(); t++) {
            done += header.task(t, T_WARM_POS);
        }
        return Math.min(1, done / (double) dataBlocks);
    }

    /** Requests served, as guest memory records them (continues across resume). */
    public long requests() {
        long sum = 0;
        for (int t = 0; t < header.tasks(); t++) {
            sum += header.task(t, T_REQUESTS);
        }
        return sum;
    }

    /** The data set size in blocks. */
    public long dataBlocks() {
        return dataBlocks;
    }

    private final class Server implements GuestTask {
        private final int task;
        private final ByteBuffer buf = ByteBuffer.allocate(Pages.SIZE);
        private final SplittableRandom rng;
        private final ZipfSampler sampler;
        private final long stride;
        private boolean warming;
        private long warmPos;
        private long requests;
        private long blocksRead;
        private long reqBlock = -1;
        private long reqLeft;
        private long reqArrival;
        /** The words of its process's memory the current request updates, and how many it has. */
        private long[] reqTouch = new long[0];
        private int reqTouched;
        private final Requests.Schedule schedule;
        private final PrivateMemory memory;

        Server(int task, boolean warming) {
            this.task = task;
            this.warming = warming;
            this.rng = new SplittableRandom(seed * 31 + task + header.created());
            this.sampler = zipf ? new ZipfSampler(files, zipfS) : null;
            this.stride = MemoryRun.scatterStride(files);
            this.warmPos = header.task(task, T_WARM_POS);
            this.requests = header.task(task, T_REQUESTS);
            this.blocksRead = header.task(task, T_BLOCKS);
            this.schedule = new Requests.Schedule(rate / header.tasks(), rng.split());
            this.memory = new PrivateMemory(vm.memory(), header, G_PRIVATE_READY, task,
                    header.region().first() + 1 + task * privatePages, privatePages);
        }

        @Override
        public boolean step() {
            if (!memory.ready()) {
                memory.fillStep();
                return true;
            }
            long deadline = System.nanoTime() + STEP_BUDGET_NANOS;
            return warming ? warmStep(deadline) : serveStep(deadline);
        }

        private boolean warmStep(long deadline) {
            long first = chunkStart(task);
            long len = chunkLength(task);
            int n = 0;
            while (warmPos < len && n < MAX_BLOCKS_PER_STEP) {
                read(first + warmPos);
                warmPos++;
                n++;
                if ((n & 7) == 0 && System.nanoTime() > deadline) {
                    break;
                }
            }
            header.setTask(task, T_WARM_POS, warmPos);
            header.setTask(task, T_BLOCKS, blocksRead);
            bytes.add((long) n * Pages.SIZE);
            if (warmPos >= len) {
                warming = false;
                if (warmTasksLeft.decrementAndGet() == 0) {
                    warmDone();
                }
            }
            return true;
        }

        private boolean serveStep(long deadline) {
            int n = 0;
            int served = 0;
            try {
                while (n < MAX_BLOCKS_PER_STEP) {
                    if (reqLeft == 0) {
                        long arrival = schedule.next();
                        if (arrival < 0) {
                            break;
                        }
                        long file = zipf ? Math.floorMod((sampler.sample(rng) - 1) * stride, files)
                                : rng.nextLong(files);
                        reqBlock = file * fileBlocks;
                        reqLeft = Math.min(fileBlocks, dataBlocks - reqBlock);
                        reqArrival = arrival;
                        reqTouch = memory.choose(rng, touch);
                        reqTouched = 0;
                    }
                    // Every choice is made before the accesses and progress is kept after each one, so
                    // a step re-run after a postcopy fault goes on where it stopped.
                    while (reqTouched < reqTouch.length) {
                        memory.touch(reqTouch[reqTouched]);
                        reqTouched++;
                    }
                    // Advance only after the read: a step abandoned by a postcopy fault inside read()
                    // is re-run and must read the same block again, not skip it.
                    read(reqBlock);
                    reqBlock++;
                    reqLeft--;
                    n++;
                    if (reqLeft == 0) {
                        requests++;
                        served++;
                        WebRun.this.requests.completed(reqArrival, System.nanoTime());
                    }
                    if ((n & 7) == 0 && System.nanoTime() > deadline) {
                        break;
                    }
                }
                if (n > 0) {
                    header.setTask(task, T_REQUESTS, requests);
                    header.setTask(task, T_BLOCKS, blocksRead);
                }
            } finally {
                // Also when a cooperative postcopy fault abandons the step: the requests served
                // before the fault are done and count (the re-run goes on after them).
                ops.add(served);
                bytes.add((long) n * Pages.SIZE);
            }
            return true;
        }

        private void read(long block) {
            buf.clear();
            os.read(block, buf);
            blocksRead++;
        }
    }
}
