package org.vmlab.emu;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.guest.GuestTask;
import org.vmlab.api.guest.TaskHandle;
import org.vmlab.api.guest.Vcpus;
import org.vmlab.api.vm.PauseResult;

/**
 * The vCPUs of one emu VM: daemon platform threads named {@code vmlab-emu-<vm>-vcpu-<n>}. Tasks
 * are spread round-robin over the threads; each thread steps its tasks in turn and parks when it
 * has none. {@link #pause()} raises a flag and waits until every thread has acknowledged between
 * two steps; {@link #throttle(double)} makes each thread sleep after its steps so it runs only
 * {@code 1 - fraction} of wall time.
 *
 * <p><b>Cooperative postcopy faults.</b> A step that touches a page that has not arrived, in a
 * {@link org.vmlab.api.memory.FaultMode#COOPERATIVE} postcopy, is abandoned by a
 * {@link PageNotPresent} thrown from the memory access; the task is parked (not ended) and the
 * vCPU steps its other tasks. Once the page is filled the parked task's step is run again
 * <em>from the start</em>: {@link GuestTask} steps must therefore be restartable. The access
 * checks the page before it writes anything, so the faulting access itself has no effect; words
 * the step wrote to other, present pages before the fault stay written and are written again by
 * the re-run. A parked task is not in a step, so {@link #pause()} does not wait for it.
 */
public final class EmuVcpus implements Vcpus {
    private static final Logger LOG = LoggerFactory.getLogger(EmuVcpus.class);
    /** Throttle sleeps are taken once this much debt has built up (timer granularity). */
    private static final long MIN_SLEEP_NANOS = 1_000_000;
    private static final long MAX_SLEEP_NANOS = 20_000_000;
    /** Longest sleep of a vCPU whose tasks all wait for pages (fills wake it sooner). */
    private static final long PARKED_POLL_NANOS = 2_000_000;

    private final String vmId;
    private final Vcpu[] cpus;
    private final Object lock = new Object();
    private volatile boolean pauseRequested;
    private volatile boolean stopped;
    private volatile double throttle;
    /** Threads that are stopped in the pause barrier; guarded by {@link #lock}. */
    private int acknowledged;
    private int nextCpu;

    /**
     * Starts the threads.
     *
     * @param paused whether they start held (a restored or incoming VM)
     */
    EmuVcpus(String vmId, int count, boolean paused) {
        this.vmId = vmId;
        this.pauseRequested = paused;
        this.cpus = new Vcpu[count];
        for (int i = 0; i < count; i++) {
            cpus[i] = new Vcpu(i);
        }
        int started = 0;
        try {
            for (Vcpu c : cpus) {
                c.thread.start();
                started++;
            }
        } finally {
            if (started < count) {
                destroy();
            }
        }
    }

    @Override
    public int count() {
        return cpus.length;
    }

    @Override
    public TaskHandle submit(String name, GuestTask task) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(task, "task");
        if (stopped) {
            throw new IllegalStateException("the vCPUs of VM '" + vmId + "' are stopped");
        }
        Handle h = new Handle(name, task);
        Vcpu c;
        synchronized (lock) {
            c = cpus[nextCpu];
            nextCpu = (nextCpu + 1) % cpus.length;
        }
        c.incoming.add(h);
        LockSupport.unpark(c.thread);
        return h;
    }

    /** The tasks not yet done, over all vCPUs (for tests and views). */
    public int activeTasks() {
        int n = 0;
        for (Vcpu c : cpus) {
            n += c.active;
        }
        return n;
    }

    /** Whether the vCPUs are held (or being held). */
    public boolean isPaused() {
        return pauseRequested;
    }

    /**
     * Stops every vCPU between two steps and returns how long that took. Returns at once if
     * they are already held.
     */
    public PauseResult pause() {
        long t0 = System.nanoTime();
        long wall = System.currentTimeMillis();
        synchronized (lock) {
            pauseRequested = true;
            for (Vcpu c : cpus) {
                LockSupport.unpark(c.thread);
            }
            boolean interrupted = false;
            // A task that pauses its own VM: its vCPU holds once its step returns.
            int self = isVcpuThread() ? 1 : 0;
            while (acknowledged + self < liveCount() && !stopped) {
                try {
                    lock.wait(10);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return new PauseResult(System.nanoTime() - t0, wall);
    }

    /** Whether the calling thread is an emu vCPU in the middle of a guest task step. */
    static boolean inGuestStep() {
        return Thread.currentThread() instanceof VcpuThread v && v.stepping;
    }

    /** A vCPU thread; knows whether it is inside a step (for cooperative postcopy faults). */
    private static final class VcpuThread extends Thread {
        boolean stepping; // only the thread itself reads and writes it

        VcpuThread(Runnable r, String name) {
            super(r, name);
        }
    }

    private boolean isVcpuThread() {
        Thread me = Thread.currentThread();
        for (Vcpu c : cpus) {
            if (c.thread == me) {
                return true;
            }
        }
        return false;
    }

    private int liveCount() {
        int n = 0;
        for (Vcpu c : cpus) {
            if (c.thread.isAlive()) {
                n++;
            }
        }
        return n;
    }

    /** Lets the vCPUs run again. */
    public void resume() {
        synchronized (lock) {
            pauseRequested = false;
            lock.notifyAll();
        }
    }

    /** @param fraction of wall time each vCPU is held, in {@code [0, 1)} */
    public void throttle(double fraction) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("throttle fraction must be in [0, 1): " + fraction);
        }
        throttle = fraction;
        for (Vcpu c : cpus) {
            LockSupport.unpark(c.thread);
        }
    }

    public double throttleFraction() {
        return throttle;
    }

    /** Stops and joins the threads (bounded wait); idempotent. */
    public void destroy() {
        synchronized (lock) {
            stopped = true;
            lock.notifyAll();
        }
        for (Vcpu c : cpus) {
            if (c != null) {
                LockSupport.unpark(c.thread);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (Vcpu c : cpus) {
            if (c == null || c.thread == Thread.currentThread()) {
                continue;
            }
            try {
                long left = deadline - System.nanoTime();
                if (left > 0) {
                    c.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                }
                if (c.thread.isAlive()) {
                    c.thread.interrupt();
                    c.thread.join(1000);
                    if (c.thread.isAlive()) {
                        LOG.warn("vCPU thread {} did not stop: a guest task step does not return",
                                c.thread.getName());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private final class Vcpu implements Runnable {
        final VcpuThread thread;
        final ConcurrentLinkedQueue<Handle> incoming = new ConcurrentLinkedQueue<>();
        final List<Handle> tasks = new ArrayList<>();
        volatile int active;
        long debtNanos;

        Vcpu(int index) {
            thread = new VcpuThread(this, "vmlab-emu-" + vmId + "-vcpu-" + index);
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            int next = 0;
            int skipped = 0; // parked tasks passed over in a row
            while (!stopped) {
                if (pauseRequested) {
                    holdForPause();
                    continue;
                }
                Handle h;
                while ((h = incoming.poll()) != null) {
                    tasks.add(h);
                }
                if (tasks.isEmpty()) {
                    active = 0;
                    debtNanos = 0;
                    LockSupport.park(this);
                    continue;
                }
                if (next >= tasks.size()) {
                    next = 0;
                }
                h = tasks.get(next);
                if (h.done) {
                    tasks.remove(next);
                    active = tasks.size();
                    continue;
                }
                EmuPostcopyMemory parkedOn = h.parkedOn;
                if (parkedOn != null) {
                    if (!parkedOn.canRetry(h.parkedPfn)) {
                        next++;
                        if (++skipped >= tasks.size()) {
                            // Every task waits for a page: sleep until a fill (or a submit,
                            // pause, stop) unparks us; bounded in case a wake-up is missed.
                            skipped = 0;
                            LockSupport.parkNanos(this, PARKED_POLL_NANOS);
                        }
                        continue;
                    }
                    h.parkedOn = null;
                    parkedOn.parkedFor(System.nanoTime() - h.parkedSince);
                }
                skipped = 0;
                long t0 = System.nanoTime();
                boolean more;
                try {
                    thread.stepping = true;
                    more = h.task.step();
                } catch (PageNotPresent p) {
                    // Not a failure: park the task until the page arrives; its step is re-run.
                    h.parkedOn = p.memory;
                    h.parkedPfn = p.pfn;
                    h.parkedSince = p.sinceNanos;
                    more = true;
                } catch (Throwable t) {
                    h.failure = t;
                    more = false;
                    LOG.warn("guest task '{}' of VM '{}' failed: {}", h.name, vmId, t.toString());
                } finally {
                    thread.stepping = false;
                }
                long ran = System.nanoTime() - t0;
                if (!more) {
                    h.done = true;
                    tasks.remove(next);
                    active = tasks.size();
                } else {
                    next++;
                    active = tasks.size();
                }
                double f = throttle;
                if (f > 0) {
                    debtNanos += (long) (ran * f / (1 - f));
                    if (debtNanos >= MIN_SLEEP_NANOS) {
                        payDebt();
                    }
                } else {
                    debtNanos = 0;
                }
            }
            active = 0;
        }

        /** Sleeps off throttle debt in bounded slices; a pause or stop cuts it short. */
        private void payDebt() {
            while (debtNanos >= MIN_SLEEP_NANOS && !stopped && !pauseRequested && throttle > 0) {
                long t0 = System.nanoTime();
                LockSupport.parkNanos(this, Math.min(debtNanos, MAX_SLEEP_NANOS));
                debtNanos -= System.nanoTime() - t0;
            }
            if (throttle == 0) {
                debtNanos = 0;
            }
        }

        private void holdForPause() {
            synchronized (lock) {
                acknowledged++;
                lock.notifyAll();
                try {
                    while (pauseRequested && !stopped) {
                        try {
                            lock.wait();
                        } catch (InterruptedException e) {
                            if (stopped) {
                                return;
                            }
                        }
                    }
                } finally {
                    acknowledged--;
                }
            }
        }
    }

    private static final class Handle implements TaskHandle {
        final String name;
        final GuestTask task;
        volatile boolean done;
        volatile Throwable failure;
        /** While parked on a cooperative postcopy fault: the memory and page; vCPU-thread only. */
        EmuPostcopyMemory parkedOn;
        long parkedPfn;
        long parkedSince;

        Handle(String name, GuestTask task) {
            this.name = name;
            this.task = task;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public boolean isDone() {
            return done;
        }

        @Override
        public void cancel() {
            done = true;
        }

        @Override
        public Optional<Throwable> failure() {
            return Optional.ofNullable(failure);
        }

        @Override
        public String toString() {
            return "task '" + name + "'" + (done ? " (done)" : "");
        }
    }
}
