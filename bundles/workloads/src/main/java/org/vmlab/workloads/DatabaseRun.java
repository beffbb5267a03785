package org.vmlab.workloads;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import org.vmlab.api.ByteSize;
import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.FrameRange;
import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.guest.GuestTask;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.parameter.ParameterValues;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.workload.MemoryInvariant;

/** A run of the {@link DatabaseWorkload}: one transaction task per vCPU. */
public final class DatabaseRun extends AbstractRun {

    static final int MAX_BLOCK_OPS_PER_STEP = 16;
    static final int MAX_INIT_PER_STEP = 32;
    static final long STEP_BUDGET_NANOS = 250_000;
    /** Word 0 of a block the database wrote: this tag xor the block number. */
    static final long BLOCK_TAG = 0x44424c4f434b3031L; // "DBLOCK01"

    /** Extra static header words after the counter-page ones. */
    static final int S_TABLE_BLOCKS = 4;
    static final int S_BUFFER_PAGES = 5;
    static final int S_PRIVATE_PAGES = 6;
    static final int G_PRIVATE_READY = 0;
    /** Per-task header words after the counter-page ones. */
    static final int T_READS = 2;
    static final int T_BLOCK_WRITES = 3;

    private final GuestOs os;
    private final GuestHeader header;
    private final ByteOrder order;
    private final CounterPages invariant;
    private final long tableBlocks;
    private final double rate;
    private final double readRatio;
    private final int opsPerTx;
    private final long writebackNanos;
    private final boolean zipf;
    private final double zipfS;
    private final long seed;
    private final AtomicLong nextWriteback;
    private final AtomicLong writebacks = new AtomicLong();
    private final AtomicLong writebackNanosTotal = new AtomicLong();
    private final Requests requests = new Requests();
    private final int touch;
    private final long privatePages;
    private final long bufferPages;

    DatabaseRun(Vm vm, ParameterValues values, Map<String, String> effective, GuestHeader found) {
        super(DatabaseWorkload.NAME, vm, effective);
        this.os = AbstractWorkload.requireGuestOs(DatabaseWorkload.NAME, vm);
        this.rate = values.decimal("rate");
        this.readRatio = values.decimal("read-ratio");
        this.opsPerTx = (int) values.integer("ops-per-tx");
        this.writebackNanos = values.duration("writeback-interval").toMillis() * 1_000_000L;
        this.zipf = values.choice("popularity").equals("zipf");
        this.zipfS = values.decimal("zipf-s");
        this.seed = values.integer("seed");
        this.touch = values.intValue("touch");
        if (found == null) {
            long blocks = Pages.count(values.bytes("table-size"));
            long disk = os.diskBlocks();
            if (disk < blocks) {
                throw new IllegalArgumentException("parameter 'table-size' of workload 'database': the table of "
                        + new ByteSize(blocks * Pages.SIZE) + " needs a disk at least that large, but VM '"
                        + vm.id() + "' has " + (disk == 0 ? "no disk" : "a disk of " + new ByteSize(disk * Pages.SIZE))
                        + "; allowed: at most " + new ByteSize(disk * Pages.SIZE));
            }
            long pages = values.bytes("buffer") / Pages.SIZE;
            long priv = Pages.count(values.bytes("private"));
            int tasks = values.intValue("tasks") > 0 ? values.intValue("tasks")
                    : AbstractWorkload.taskCount(vm, pages - 1);
            FrameRange region = AbstractWorkload.allocate(DatabaseWorkload.NAME, vm, pages + tasks * priv,
                    priv > 0 ? "private" : "buffer");
            long[] st = CounterPages.staticWords(region.first() + 1, pages - 1,
                    CounterPages.UNIFORM, CounterPages.FILL_PAGE);
            long[] words = new long[] {st[0], st[1], st[2], st[3], blocks, pages, priv};
            header = GuestHeader.create(vm.memory(), DatabaseWorkload.NAME, region, tasks, words, effective);
            DataSet.ensure(DatabaseWorkload.NAME, vm, os, blocks, values.choice("content"), seed);
        } else {
            header = found;
        }
        this.bufferPages = header.staticWord(S_BUFFER_PAGES) > 0 ? header.staticWord(S_BUFFER_PAGES)
                : header.region().count();
        this.privatePages = header.staticWord(S_PRIVATE_PAGES);
        this.tableBlocks = header.staticWord(S_TABLE_BLOCKS);
        this.order = CounterPages.wordOrder(vm.memory(), header.pfn());
        this.invariant = new CounterPages(header.pfn());
        this.nextWriteback = new AtomicLong(System.nanoTime() + writebackNanos);
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
        for (int t = 0; t < tasks; t++) {
            submit("tx-" + t, new Transactions(t, tasks));
        }
    }

    /** The buffer pool's invariant: its steps are the committed transactions. */
    @Override
    public Optional<MemoryInvariant> invariant() {
        return Optional.of(invariant);
    }

    /** Committed transactions, as guest memory records them (continues across resume). */
    public long transactions() {
        long sum = 0;
        for (int t = 0; t < header.tasks(); t++) {
            sum += header.task(t, CounterPages.T_WRITES);
        }
        return sum;
    }

    /** Blocks written through the page cache, as guest memory records them. */
    public long blockWrites() {
        long sum = 0;
        for (int t = 0; t < header.tasks(); t++) {
            sum += header.task(t, T_BLOCK_WRITES);
        }
        return sum;
    }

    /** Write-backs done by this run. */
    public long writebacks() {
        return writebacks.get();
    }

    /** Total time spent in write-backs by this run, in ms. */
    public double writebackMillis() {
        return writebackNanosTotal.get() / 1e6;
    }

    public long tableBlocks() {
        return tableBlocks;
    }

    private final class Transactions implements GuestTask {
        private final int task;
        private final CounterPages.Writer buffer;
        private final Requests.Schedule schedule;
        private final PrivateMemory memory;
        private long txArrival;
        /** The words of its process's memory the current transaction updates, and how many it has. */
        private long[] txTouch = new long[0];
        private int txTouched;
        /** The current operation, chosen before its accesses (see serve). */
        private long opBlock = -1;
        private boolean opWrite;
        private boolean opRead;
        private long commitAt = -1;
        private boolean commitDue;
        private final SplittableRandom rng;
        private final ZipfSampler sampler;
        private final long stride;
        private final ByteBuffer block = ByteBuffer.allocate(Pages.SIZE);
        private long reads;
        private long writes;
        private int opsLeft;

        Transactions(int task, int tasks) {
            this.task = task;
            this.buffer = new CounterPages.Writer(vm.memory(), header, order, task);
            this.rng = new SplittableRandom(seed * 131 + task + header.created());
            this.schedule = new Requests.Schedule(rate / tasks, rng.split());
            this.memory = new PrivateMemory(vm.memory(), header, G_PRIVATE_READY, task,
                    header.region().first() + bufferPages + task * privatePages, privatePages);
            this.sampler = zipf ? new ZipfSampler(tableBlocks, zipfS) : null;
            this.stride = MemoryRun.scatterStride(tableBlocks);
            this.reads = header.task(task, T_READS);
            this.writes = header.task(task, T_BLOCK_WRITES);
        }

        @Override
        public boolean step() {
            maybeWriteBack();
            if (!buffer.initialized()) {
                for (int i = 0; i < MAX_INIT_PER_STEP && !buffer.initialized(); i++) {
                    buffer.initNext();
                }
                buffer.flush();
                return true;
            }
            if (!memory.ready()) {
                memory.fillStep();
                return true;
            }
            long deadline = System.nanoTime() + STEP_BUDGET_NANOS;
            int n = 0;
            int committed = 0;
            long moved = 0;
            try {
                while (n < MAX_BLOCK_OPS_PER_STEP) {
                    if (commitDue) {
                        if (commitAt < 0) {
                            commitAt = rng.nextLong(buffer.length());
                        }
                        buffer.write(commitAt); // commit record in the buffer pool
                        commitAt = -1;
                        commitDue = false;
                        committed++;
                        requests.completed(txArrival, System.nanoTime());
                    }
                    if (opsLeft == 0) {
                        long arrival = schedule.next();
                        if (arrival < 0) {
                            break;
                        }
                        opsLeft = opsPerTx;
                        txArrival = arrival;
                        txTouch = memory.choose(rng, touch);
                        txTouched = 0;
                    }
                    // Every choice is made before the accesses and progress is kept after each one, so
                    // a step re-run after a postcopy fault goes on where it stopped.
                    while (txTouched < txTouch.length) {
                        memory.touch(txTouch[txTouched]);
                        txTouched++;
                    }
                    if (opBlock < 0) {
                        opBlock = zipf ? Math.floorMod((sampler.sample(rng) - 1) * stride, tableBlocks)
                                : rng.nextLong(tableBlocks);
                        opWrite = rng.nextDouble() >= readRatio;
                        opRead = false;
                    }
                    if (!opRead) {
                        readBlock(opBlock);
                        opRead = true;
                        moved += Pages.SIZE;
                    }
                    if (opWrite) {
                        writeBlock(opBlock);
                        moved += Pages.SIZE;
                    }
                    opBlock = -1;
                    n++;
                    commitDue = --opsLeft == 0;
                    if ((n & 3) == 0 && System.nanoTime() > deadline) {
                        break;
                    }
                }
                if (n > 0) {
                    buffer.flush();
                    header.setTask(task, T_READS, reads);
                    header.setTask(task, T_BLOCK_WRITES, writes);
                }
            } finally {
                // Also when a cooperative postcopy fault abandons the step: what it committed
                // before the fault is done and counts (the re-run goes on after it).
                ops.add(committed);
                bytes.add(moved);
            }
            return true;
        }

        private void readBlock(long b) {
            block.clear();
            os.read(b, block);
            reads++;
            if (block.getLong(0) == (BLOCK_TAG ^ b)
                    && block.getLong(16) != Mix.check(block.getLong(8), b ^ BLOCK_TAG)) {
                throw new VmlabException("database on VM '" + vm.id() + "': block " + b
                        + " is corrupt (its check word does not match its version " + block.getLong(8) + ")");
            }
        }

        private void writeBlock(long b) {
            long version = ((long) task << 48) | (writes & 0xFFFF_FFFF_FFFFL);
            block.putLong(0, BLOCK_TAG ^ b);
            block.putLong(8, version);
            block.putLong(16, Mix.check(version, b ^ BLOCK_TAG));
            int row = 3 + rng.nextInt(Pages.SIZE / 8 - 3);
            block.putLong(row * 8, rng.nextLong());
            block.clear();
            os.write(b, block);
            writes++;
        }

        private void maybeWriteBack() {
            if (writebackNanos <= 0) {
                return;
            }
            long now = System.nanoTime();
            long due = nextWriteback.get();
            if (now >= due && nextWriteback.compareAndSet(due, now + writebackNanos)) {
                os.writeBack();
                writebacks.incrementAndGet();
                writebackNanosTotal.addAndGet(System.nanoTime() - now);
            }
        }
    }
}
