package org.vmlab.engines;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.memory.FaultMode;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.PageFaultHandler;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.memory.PostcopyMemory;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.workload.ThroughputSample;
import org.vmlab.api.workload.WorkloadRun;
import org.vmlab.transport.TransportException;

/**
 * The destination side of one postcopy phase: installs arriving pages into the VM's
 * {@link PostcopyMemory}, turns the guest's faults into REQUEST frames to the source, reports
 * progress, and knows when every missing page is in (or that the source is gone).
 *
 * <p>Pages may arrive twice (pushed and requested); the first install wins and a later copy is
 * ignored, so a page the guest already wrote is never overwritten. With verification it keeps,
 * for every page, the hash of the content the guest first saw: the page as it was at the pause
 * (present pages hashed before the resume, missing ones hashed as they arrive), which the source
 * compares with its paused memory.
 */
final class IncomingPostcopy implements PageFaultHandler {
    private static final Logger LOG = LoggerFactory.getLogger(IncomingPostcopy.class);
    private static final Long STOP = -1L;
    /** {@link GuestMemory#pageHash}'s function (XXH64, seed 0), as the backends compute it (lz4-java). */
    private static final XXHash64 XXH64 = XXHashFactory.fastestInstance().hash64();
    private static final long ZERO_PAGE_HASH = XXH64.hash(new byte[Pages.SIZE], 0, Pages.SIZE, 0);

    private final String migrationId;
    private final Vm vm;
    private final GuestMemory memory;
    private final PostcopyMemory postcopy;
    private final MigrationChannel control;
    private final Duration timeout;
    private final FaultMode mode;
    private final PageSet missing;
    private final long[] hashes;
    private final AtomicLongArray arrived;
    private final AtomicLong arrivedCount = new AtomicLong();
    private final AtomicLong faults = new AtomicLong();
    private final CompletableFuture<Void> complete = new CompletableFuture<>();
    private final LinkedBlockingQueue<Long> faultQueue = new LinkedBlockingQueue<>();
    private volatile long lastArrivalNanos = System.nanoTime();
    private volatile boolean committed;
    private long resumedAt;
    private Thread requester;

    IncomingPostcopy(String migrationId, Vm vm, MigrationChannel control, Duration timeout, boolean verify,
                     FaultMode mode, PageSet missing) {
        this.migrationId = migrationId;
        this.vm = vm;
        this.memory = vm.memory();
        this.postcopy = memory.postcopy().orElseThrow(() -> new IllegalStateException(
                "VM '" + vm.id() + "' cannot do postcopy on its backend"));
        this.control = control;
        this.timeout = timeout;
        this.mode = mode;
        this.missing = missing;
        this.hashes = verify ? new long[Math.toIntExact(memory.pageCount())] : null;
        this.arrived = new AtomicLongArray((int) ((memory.pageCount() + 63) >>> 6));
    }

    /**
     * Marks the missing pages (guest accesses fault from now on) and starts asking for faults.
     * With verification, the present pages are hashed now, as the guest will find them, on every
     * processor.
     *
     * @return how long that hashing took (verification instrumentation, not downtime)
     */
    long begin() {
        postcopy.begin(missing, this, mode);
        if (missing.isEmpty()) {
            complete.complete(null);
        }
        requester = new Thread(this::requestLoop, "vmlab-postcopy-requests-" + migrationId);
        requester.setDaemon(true);
        requester.start();
        if (hashes == null) {
            return 0;
        }
        long start = System.nanoTime();
        int slice = 1 << 16;
        java.util.stream.IntStream.range(0, (hashes.length + slice - 1) / slice).parallel().forEach(s -> {
            for (int pfn = s * slice; pfn < Math.min(hashes.length, (s + 1) * slice); pfn++) {
                if (!missing.contains(pfn)) {
                    hashes[pfn] = memory.pageHash(pfn);
                }
            }
        });
        return System.nanoTime() - start;
    }

    /** The destination VM resumed: postcopy time runs from here. */
    void resumed() {
        resumedAt = System.nanoTime();
    }

    @Override
    public void onFault(long pfn) {
        faults.incrementAndGet();
        faultQueue.offer(pfn); // never blocks a vCPU
    }

    /** A page arrived (pushed or requested); {@code content} null for a zero page. */
    void fill(long pfn, ByteBuffer content) {
        if (pfn < 0 || pfn >= memory.pageCount() || !missing.contains(pfn) || !postcopy.isMissing(pfn)) {
            return; // present already: the guest may have written it since
        }
        ByteBuffer page = content != null ? content : ByteBuffer.allocate(Pages.SIZE);
        long hash = hashes == null ? 0 : content == null ? ZERO_PAGE_HASH : XXH64.hash(page, page.position(), Pages.SIZE, 0);
        postcopy.fill(pfn, page);
        int word = (int) (pfn >>> 6);
        long bit = 1L << pfn;
        if ((arrived.getAndUpdate(word, v -> v | bit) & bit) == 0) {
            if (hashes != null) {
                hashes[(int) pfn] = hash;
            }
            lastArrivalNanos = System.nanoTime();
            if (arrivedCount.incrementAndGet() == missing.size()) {
                complete.complete(null);
            }
        }
    }

    /** The commit arrived: from now on the VM exists only here. */
    void committed() {
        committed = true;
    }

    /**
     * The source is gone or broke the protocol: postcopy cannot finish. After the commit the
     * guest's waits for missing pages fail at once (naming them) rather than at their timeout.
     */
    void lost(String reason) {
        if (complete.completeExceptionally(new TransportException(reason)) && committed) {
            try {
                postcopy.end();
            } catch (RuntimeException e) {
                LOG.debug("postcopy of VM '{}' ended: {}", vm.id(), e.getMessage());
            }
        }
    }

    /**
     * Waits until every missing page is in, reporting progress meanwhile, and ends postcopy.
     *
     * @throws org.vmlab.api.VmlabException naming the pages still missing if the source was lost
     *                                      (the VM is then failed by its backend)
     */
    void awaitComplete() throws IOException {
        long period = Math.max(100, Math.min(1000, timeout.toMillis() / 4));
        long stallNanos = Math.max(TimeUnit.SECONDS.toNanos(30), timeout.toNanos() * 3);
        String lostReason = null;
        while (lostReason == null) {
            try {
                complete.get(period, TimeUnit.MILLISECONDS);
                break;
            } catch (TimeoutException e) {
                if (System.nanoTime() - lastArrivalNanos > stallNanos) {
                    lostReason = "no page arrived for " + TimeUnit.NANOSECONDS.toSeconds(stallNanos) + " s";
                } else {
                    try {
                        sendProgress();
                    } catch (IOException io) {
                        lostReason = "cannot reach the source: " + io.getMessage();
                    }
                }
            } catch (ExecutionException e) {
                lostReason = e.getCause().getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                lostReason = "interrupted";
            }
        }
        stopRequester();
        if (lostReason != null) {
            LOG.error("migration {}: source lost during postcopy ({}); VM '{}' cannot continue", migrationId,
                    lostReason, vm.id());
            postcopy.end(); // throws, naming the missing pages; the backend fails the VM
            throw new TransportException("source lost during postcopy: " + lostReason); // nothing was missing after all
        }
        postcopy.end();
        LOG.info("migration {}: postcopy of VM '{}' complete after {} ms: {} pages, {} faults, block time {} ms",
                migrationId, vm.id(), postcopyNanos() / 1_000_000, missing.size(), faults.get(),
                postcopy.blockTime().toMillis());
    }

    long postcopyNanos() {
        return resumedAt == 0 ? 0 : System.nanoTime() - resumedAt;
    }

    Duration blockTime() {
        return postcopy.blockTime();
    }

    /** Hashes of every page as the guest first saw it; only with verification. */
    long[] hashes() {
        return hashes;
    }

    void close() {
        stopRequester();
        complete.complete(null);
    }

    /** Not by interrupt: that would close the control channel under a blocked send. */
    private void stopRequester() {
        faultQueue.offer(STOP);
    }

    private void sendProgress() throws IOException {
        ThroughputSample t = vm.workload().map(WorkloadRun::latest).orElse(null);
        control.send(new Messages.Progress(missing.size() - arrivedCount.get(), postcopy.blockTime().toNanos(),
                t == null ? 0 : t.opsPerSecond(), t == null ? 0 : t.bytesPerSecond(),
                t == null ? Double.NaN : t.latencyP99Micros()));
    }

    private void requestLoop() {
        long[] batch = new long[Messages.MAX_REQUEST];
        try {
            while (!complete.isDone()) {
                long first = faultQueue.take();
                if (first < 0) {
                    return;
                }
                int n = 0;
                batch[n++] = first;
                Long next;
                while (n < batch.length && (next = faultQueue.poll()) != null) {
                    if (next < 0) {
                        faultQueue.offer(STOP);
                        break;
                    }
                    batch[n++] = next;
                }
                control.send(new Messages.Request(java.util.Arrays.copyOf(batch, n)));
            }
        } catch (InterruptedException e) {
            // postcopy ended
        } catch (IOException e) {
            lost("cannot send page requests: " + e.getMessage());
        }
    }
}
