package org.vmlab.emu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.memory.FaultMode;
import org.vmlab.api.memory.PageFaultHandler;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.memory.PostcopyMemory;
import org.vmlab.api.memory.Pages;

/**
 * Postcopy on emu guest memory. {@link #begin} installs a bitmap of missing pages and makes
 * {@link EmuGuestMemory} consult it on every guest access (until then, and after a clean
 * {@link #end()}, an access pays one volatile read of a null field). An access to a missing page
 * calls the {@link PageFaultHandler} once per page (an atomic "faulted" bit dedupes concurrent
 * faults) and then:
 * <ul>
 * <li>{@link FaultMode#BLOCKING}, and {@link FaultMode#COOPERATIVE} off a vCPU step: the thread
 * waits on this object's monitor until {@link #fill} installs the page (bounded by
 * {@link #waitTimeoutNanos}, interruptible; both end in a {@link VmlabException}).</li>
 * <li>{@link FaultMode#COOPERATIVE} inside a {@link org.vmlab.api.guest.GuestTask} step on an emu
 * vCPU: a {@link PageNotPresent} abandons the step; {@link EmuVcpus} parks the task and runs the
 * vCPU's other tasks, and steps the parked task again (from the start) once the page is in.</li>
 * </ul>
 * <b>Ordering:</b> {@link #fill} copies the page and then clears its missing bit with a volatile
 * read-modify-write; an access reads the bit with acquire semantics before touching the page, so
 * it sees the filled content. Fills are serialized on the monitor and re-check the bit, so a late
 * duplicate fill can never overwrite what the guest wrote after the first.
 */
public final class EmuPostcopyMemory implements PostcopyMemory {
    private static final Logger LOG = LoggerFactory.getLogger(EmuPostcopyMemory.class);
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    /** Default bound of one wait for a page. */
    static final long DEFAULT_WAIT_TIMEOUT_NANOS = TimeUnit.MINUTES.toNanos(2);

    private final EmuGuestMemory memory;
    private final String owner;
    private final Object monitor = new Object();

    /** Bound of a single wait (tests shorten it). */
    volatile long waitTimeoutNanos = DEFAULT_WAIT_TIMEOUT_NANOS;

    // Session state; replaced as a whole by begin(). Read by accessors only via memory's field.
    private long[] missing = new long[0];
    private long[] faulted = new long[0];
    private PageFaultHandler handler;
    private FaultMode mode = FaultMode.BLOCKING;
    /** Guarded by monitor. */
    private long missingCount;
    private int waiters;
    /** Set when end() found pages missing: every access to a missing page fails with it. */
    private volatile String failure;
    private volatile boolean active;
    private final AtomicLong blockNanos = new AtomicLong();
    /** vCPU threads with tasks parked on pages of this memory: a fill unparks them. */
    private final Set<Thread> parkedVcpus = ConcurrentHashMap.newKeySet();
    /**
     * The vCPU threads with a task parked on each page: a fill wakes just those (waking every
     * parked vCPU on every fill would keep them spinning through their parked tasks while the
     * push fills tens of thousands of pages a second).
     */
    private final ConcurrentHashMap<Long, Set<Thread>> parkedByPage = new ConcurrentHashMap<>();
    /** Told once when postcopy ends with pages missing: the VM cannot go on (set by its VM). */
    private volatile java.util.function.Consumer<String> failureListener = reason -> { };

    EmuPostcopyMemory(EmuGuestMemory memory, String owner) {
        this.memory = memory;
        this.owner = owner;
    }

    /** Who learns that postcopy failed with pages missing (the owning VM, which then fails). */
    void onFailure(java.util.function.Consumer<String> listener) {
        this.failureListener = Objects.requireNonNull(listener, "listener");
    }

    @Override
    public void begin(PageSet missingPages, PageFaultHandler handler, FaultMode mode) {
        Objects.requireNonNull(missingPages, "missing");
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(mode, "mode");
        long pages = memory.pageCount();
        if (missingPages.capacity() != pages) {
            throw new IllegalArgumentException("missing pages are for " + missingPages.capacity()
                    + " pages but VM '" + owner + "' has " + pages);
        }
        synchronized (monitor) {
            if (active && failure == null) {
                throw new VmlabException("postcopy of VM '" + owner + "' is already running");
            }
            long[] bits = java.util.Arrays.copyOf(missingPages.toBitmap(), (int) ((pages + 63) >>> 6));
            long n = 0;
            for (long w : bits) {
                n += Long.bitCount(w);
            }
            this.missing = bits;
            this.faulted = new long[bits.length];
            this.handler = handler;
            this.mode = mode;
            this.missingCount = n;
            this.failure = null;
            this.blockNanos.set(0);
            this.parkedVcpus.clear();
            this.parkedByPage.clear();
            this.active = true;
            VarHandle.releaseFence();
            memory.setPostcopy(this); // volatile write publishes the fields above
        }
    }

    @Override
    public void fill(long pfn, ByteBuffer src) {
        Objects.checkIndex(pfn, memory.pageCount());
        if (src.remaining() < Pages.SIZE) {
            throw new BufferUnderflowException();
        }
        synchronized (monitor) {
            if (!isMissing(pfn)) {
                return; // present already (or postcopy not running): ignored
            }
            memory.fillFromSnapshot(pfn, src); // no dirty bit: the page is the source's
            WORDS.getAndBitwiseAnd(missing, (int) (pfn >>> 6), ~(1L << pfn));
            missingCount--;
            if (waiters > 0) {
                monitor.notifyAll();
            }
        }
        Set<Thread> parked = parkedByPage.remove(pfn);
        if (parked != null) {
            for (Thread t : parked) {
                LockSupport.unpark(t);
            }
        }
    }

    @Override
    public boolean isMissing(long pfn) {
        Objects.checkIndex(pfn, memory.pageCount());
        return active && missingBit(pfn);
    }

    private boolean missingBit(long pfn) {
        return ((long) WORDS.getAcquire(missing, (int) (pfn >>> 6)) & (1L << pfn)) != 0;
    }

    @Override
    public long missingCount() {
        synchronized (monitor) {
            return active ? missingCount : 0;
        }
    }

    @Override
    public void end() {
        String msg;
        synchronized (monitor) {
            if (!active) {
                return;
            }
            if (missingCount == 0) {
                active = false;
                memory.setPostcopy(null);
                return;
            }
            msg = missingMessage("postcopy of VM '" + owner + "' ended with pages missing");
            failure = msg;
            monitor.notifyAll();
        }
        for (Thread t : parkedVcpus) {
            LockSupport.unpark(t);
        }
        try {
            failureListener.accept(msg);
        } catch (RuntimeException e) {
            LOG.warn("postcopy failure listener of VM '{}' failed: {}", owner, e.toString());
        }
        throw new VmlabException(msg);
    }

    /** Fails every waiter (the VM's memory is going away). */
    void abort(String why) {
        synchronized (monitor) {
            if (active && failure == null) {
                failure = missingMessage("postcopy of VM '" + owner + "' aborted (" + why + ")");
                monitor.notifyAll();
            }
        }
        for (Thread t : parkedVcpus) {
            LockSupport.unpark(t);
        }
    }

    /** Under monitor: "what: N pages, e.g. 1, 2, 3, ...". */
    private String missingMessage(String what) {
        StringBuilder sb = new StringBuilder(what).append(": ").append(missingCount)
                .append(missingCount == 1 ? " page still missing (" : " pages still missing (");
        int named = 0;
        for (int w = 0; w < missing.length && named < 10; w++) {
            long bits = missing[w];
            while (bits != 0 && named < 10) {
                long pfn = ((long) w << 6) + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                sb.append(named == 0 ? "" : ", ").append(pfn);
                named++;
            }
        }
        if (missingCount > named) {
            sb.append(", ...");
        }
        return sb.append(')').toString();
    }

    @Override
    public Duration blockTime() {
        return Duration.ofNanos(blockNanos.get());
    }

    FaultMode mode() {
        return mode;
    }

    // ------------------------------------------------------------ the access path

    /**
     * Called by every guest access to {@code pfn} while postcopy runs, before the access touches
     * the page: returns at once if it is present; otherwise faults and waits (or throws
     * {@link PageNotPresent} on a cooperative vCPU step).
     */
    void access(long pfn) {
        if (!missingBit(pfn)) {
            return;
        }
        fault(pfn);
    }

    /** Checks pages {@code [pfn, pfn + pages)} in order, before a multi-page access. */
    void access(long pfn, long pages) {
        for (long p = pfn, end = pfn + pages; p < end; p++) {
            if (missingBit(p)) {
                fault(p);
            }
        }
    }

    private void fault(long pfn) {
        String f = failure;
        if (f != null) {
            throw new VmlabException(f);
        }
        long t0 = System.nanoTime();
        int w = (int) (pfn >>> 6);
        long bit = 1L << pfn;
        if (((long) WORDS.getAndBitwiseOr(faulted, w, bit) & bit) == 0) {
            try {
                handler.onFault(pfn);
            } catch (RuntimeException e) {
                LOG.warn("page fault handler of VM '{}' failed for page {}: {}", owner, pfn, e.toString());
            }
        }
        if (mode == FaultMode.COOPERATIVE && EmuVcpus.inGuestStep()) {
            parkedVcpus.add(Thread.currentThread());
            parkedByPage.computeIfAbsent(pfn, k -> ConcurrentHashMap.newKeySet()).add(Thread.currentThread());
            if (!missingBit(pfn)) {
                // Filled between the check and the registration: wake ourselves (no wake-up lost).
                LockSupport.unpark(Thread.currentThread());
            }
            throw new PageNotPresent(this, pfn, t0);
        }
        await(pfn, t0);
    }

    private void await(long pfn, long t0) {
        long deadline = t0 + waitTimeoutNanos;
        boolean interrupted = false;
        try {
            synchronized (monitor) {
                waiters++;
                try {
                    while (missingBit(pfn)) {
                        if (failure != null) {
                            throw new VmlabException(failure);
                        }
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            throw new VmlabException("page " + pfn + " of VM '" + owner
                                    + "' did not arrive within "
                                    + TimeUnit.NANOSECONDS.toMillis(waitTimeoutNanos) + " ms of its fault");
                        }
                        try {
                            TimeUnit.NANOSECONDS.timedWait(monitor, left);
                        } catch (InterruptedException e) {
                            interrupted = true;
                            throw new VmlabException("interrupted while waiting for page " + pfn
                                    + " of VM '" + owner + "' to arrive");
                        }
                    }
                } finally {
                    waiters--;
                }
            }
        } finally {
            blockNanos.addAndGet(System.nanoTime() - t0);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * For {@link EmuVcpus}: whether a task parked on {@code pfn} may be stepped again (the page
     * arrived, or postcopy failed so the re-step reports the failure).
     */
    boolean canRetry(long pfn) {
        return !active || failure != null || !missingBit(pfn);
    }

    /** For {@link EmuVcpus}: a parked task resumes; counts its wait in the block time. */
    void parkedFor(long nanos) {
        blockNanos.addAndGet(nanos);
    }
}
