package org.vmlab.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.guest.GuestTask;
import org.vmlab.api.guest.TaskHandle;
import org.vmlab.api.guest.Vcpus;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.PauseResult;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.api.vm.VmStateListener;
import org.vmlab.api.workload.WorkloadRun;

/**
 * One QEMU guest: its process, QMP session and mapped RAM. Lifecycle methods are serialized on one
 * lock; state also follows QMP events (a guest shutdown or panic, or QEMU exiting, makes the VM
 * {@link VmState#FAILED} with a reason).
 *
 * <p>Device state for vmlab's own engines: {@link #saveDeviceState()} runs QEMU's migration with
 * capability {@code x-ignore-shared} into a file, so it carries everything but the shared RAM
 * (which vmlab's data plane moves through {@link #memory()}); {@link #loadDeviceState(byte[])}
 * feeds it to a destination started with {@code -incoming defer}.
 */
public final class QemuVm implements Vm {
    private static final Logger LOG = LoggerFactory.getLogger(QemuVm.class);

    static final Duration QMP_TIMEOUT = Duration.ofSeconds(10);
    static final Duration MIGRATION_TIMEOUT = Duration.ofSeconds(120);
    static final Duration KILL_GRACE = Duration.ofSeconds(3);

    private final QemuBackend backend;
    private final String id;
    private final VmSpec spec;
    private final QemuProcess process;
    private final QmpClient qmp;
    private final QemuGuestMemory memory;
    private final String accelerator;
    /** Period of the stop/cont duty cycle of {@link #throttle(double)}. */
    static final long THROTTLE_PERIOD_MS = 100;
    private volatile double throttle;
    /** Guarded by lock: the throttle stopped the vCPUs and owes them a cont. */
    private volatile boolean throttleStopped;
    private Thread throttler;
    private final List<DeviceSpec> devices;
    private final CopyOnWriteArrayList<VmStateListener> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private final QemuVcpus vcpus;

    private volatile VmState state;
    private volatile boolean vcpusRunning;
    private volatile boolean destroyed;
    private volatile String failure;
    private volatile WorkloadRun run;
    private boolean awaitingDeviceState;
    private boolean migrationUsed;

    QemuVm(QemuBackend backend, String id, VmSpec spec, QemuProcess process, QmpClient qmp,
           QemuGuestMemory memory, String accelerator, VmState initial, boolean running) {
        this.backend = backend;
        this.id = id;
        this.spec = spec;
        this.process = process;
        this.qmp = qmp;
        this.memory = memory;
        this.accelerator = accelerator;
        this.devices = List.copyOf(spec.devices());
        this.state = initial;
        this.vcpusRunning = running;
        this.vcpus = new QemuVcpus(spec.vcpus());
        this.awaitingDeviceState = initial == VmState.MIGRATING;
        qmp.addEventListener(this::onEvent);
        process.process().onExit().thenRun(this::onExit);
    }

    // ------------------------------------------------------------ accessors

    @Override
    public String id() {
        return id;
    }

    @Override
    public VmSpec spec() {
        return spec;
    }

    @Override
    public String backend() {
        return QemuBackend.NAME;
    }

    @Override
    public VmState state() {
        return state;
    }

    @Override
    public QemuGuestMemory memory() {
        return memory;
    }

    @Override
    public Optional<BlockDevice> disk() {
        return Optional.empty(); // the disk belongs to QEMU (virtio-blk); vmlab has no block view of it yet
    }

    @Override
    public List<DeviceSpec> devices() {
        return devices;
    }

    @Override
    public Optional<GuestOs> guestOs() {
        return Optional.empty();
    }

    @Override
    public Vcpus vcpus() {
        return vcpus;
    }

    @Override
    public Optional<WorkloadRun> workload() {
        return Optional.ofNullable(run);
    }

    /** {@code kvm} or {@code tcg}. */
    public String accelerator() {
        return accelerator;
    }

    public QemuProcess process() {
        return process;
    }

    @Override
    public Map<String, String> details() {
        Map<String, String> d = new java.util.LinkedHashMap<>();
        d.put("accelerator", accelerator);
        d.put("qemuPid", Long.toString(process.pid()));
        d.put("runDir", process.runDir().toString());
        d.put("console", process.consoleLog().toString());
        d.put("ramFile", process.ramFile().toString());
        d.put("ramBytes", Long.toString(memory.pageCount() * org.vmlab.api.memory.Pages.SIZE));
        return d;
    }

    /** The QMP session, for engines that drive QEMU's own migration. */
    public QmpClient qmp() {
        return qmp;
    }

    /** Why the VM failed, or null. */
    public String failure() {
        return failure;
    }

    /** Whether the vCPUs run (as QMP last said). */
    public boolean vcpusRunning() {
        return vcpusRunning;
    }

    void setWorkloadRun(WorkloadRun r) {
        run = r;
    }

    // ------------------------------------------------------------ state

    private void requireAlive(String what) {
        VmState s = state;
        if (destroyed || s.isFinal()) {
            throw new VmlabException("cannot " + what + " VM '" + id + "': it is " + s.name().toLowerCase()
                    + (failure != null ? " (" + failure + ")" : ""));
        }
    }

    private void setState(VmState to) {
        VmState from;
        synchronized (listeners) {
            from = state;
            if (from == to || (from.isFinal() && to != VmState.STOPPED)) {
                return;
            }
            state = to;
        }
        for (VmStateListener l : listeners) {
            try {
                l.stateChanged(this, from, to);
            } catch (RuntimeException e) {
                LOG.warn("state listener {} of VM '{}' failed: {}", l, id, e.toString());
            }
        }
    }

    private void fail(String reason) {
        if (destroyed || state.isFinal()) {
            return;
        }
        failure = reason;
        LOG.warn("VM '{}' failed: {}", id, reason);
        WorkloadRun r = run;
        if (r != null) {
            r.stop();
        }
        setState(VmState.FAILED);
    }

    private void onEvent(QmpClient.Event e) {
        switch (e.name()) {
            case "STOP" -> {
                if (!throttleStopped) {
                    vcpusRunning = false;
                }
            }
            case "RESUME" -> vcpusRunning = true;
            case "SHUTDOWN" -> {
                if (!destroyed) {
                    fail("the guest shut down (" + e.data().getOrDefault("reason", "unknown reason") + ")");
                }
            }
            case "GUEST_PANICKED" -> fail("the guest kernel panicked");
            default -> LOG.debug("VM '{}': QMP event {} {}", id, e.name(), e.data());
        }
    }

    private void onExit() {
        if (!destroyed) {
            fail("QEMU exited with code " + process.process().exitValue() + "; " + process.lastLines(5));
        }
    }

    // ------------------------------------------------------------ lifecycle

    @Override
    public PauseResult pause() {
        synchronized (lock) {
            requireAlive("pause");
            long t0 = System.nanoTime();
            qmp.execute("stop", null, QMP_TIMEOUT);
            long took = System.nanoTime() - t0;
            throttleStopped = false; // stopped now for the caller, not for the duty cycle
            vcpusRunning = false;
            if (state == VmState.RUNNING) {
                setState(VmState.PAUSED);
            }
            return new PauseResult(took, System.currentTimeMillis());
        }
    }

    @Override
    public void resume() {
        synchronized (lock) {
            requireAlive("resume");
            if (awaitingDeviceState) {
                throw new VmlabException("cannot resume VM '" + id
                        + "': it is a migration destination that has no device state yet");
            }
            qmp.execute("cont", null, QMP_TIMEOUT);
            throttleStopped = false;
            vcpusRunning = true;
            if (state == VmState.PAUSED || state == VmState.CREATED) {
                setState(VmState.RUNNING);
            }
        }
    }

    /**
     * Slows the guest by a stop/cont duty cycle over QMP: of every {@link #THROTTLE_PERIOD_MS} ms
     * the vCPUs are stopped for {@code fraction} of it (QEMU itself throttles only inside its own
     * migration). Coarser than QEMU's in-thread sleeps but the same effect on the dirty rate; 0
     * ends it. A pause or a device-state save wins over the cycle: it never resumes a VM someone
     * else stopped.
     */
    @Override
    public void throttle(double fraction) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("throttle fraction must be in [0, 1): " + fraction);
        }
        synchronized (lock) {
            if (fraction > 0) {
                requireAlive("throttle");
            }
            throttle = fraction;
            if (fraction > 0 && throttler == null) {
                throttler = new Thread(this::throttleLoop, "vmlab-qemu-throttle-" + id);
                throttler.setDaemon(true);
                throttler.start();
            }
            lock.notifyAll();
        }
    }

    /** The current throttle fraction, 0 when the guest runs at full speed. */
    public double throttleFraction() {
        return throttle;
    }

    private void throttleLoop() {
        try {
            while (true) {
                long stopMs;
                synchronized (lock) {
                    if (throttle <= 0 || destroyed) {
                        throttler = null;
                        return;
                    }
                    // 1 .. period-1 ms: never a zero wait, which would be forever
                    stopMs = Math.min(THROTTLE_PERIOD_MS - 1, Math.max(1, Math.round(throttle * THROTTLE_PERIOD_MS)));
                    lock.wait(THROTTLE_PERIOD_MS - stopMs);
                    if (throttle <= 0 || destroyed || !vcpusRunning || state.isFinal()) {
                        continue;
                    }
                    throttleStopped = true; // set first: the STOP event this causes is ours
                    qmp.execute("stop", null, QMP_TIMEOUT);
                }
                Thread.sleep(stopMs);
                synchronized (lock) {
                    if (throttleStopped && !destroyed) {
                        throttleStopped = false;
                        qmp.execute("cont", null, QMP_TIMEOUT);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("throttling VM '{}' stopped: {}", id, e.toString());
        } finally {
            synchronized (lock) {
                if (throttler == Thread.currentThread()) {
                    throttler = null;
                }
                throttleStopped = false;
            }
        }
    }

    @Override
    public void beginMigration() {
        synchronized (lock) {
            VmState s = state;
            if (s == VmState.MIGRATING) {
                throw new VmlabException("VM '" + id + "' is already migrating");
            }
            if (s != VmState.RUNNING && s != VmState.PAUSED) {
                throw new VmlabException("cannot migrate VM '" + id + "': it is " + s.name().toLowerCase()
                        + ", not running or paused");
            }
            setState(VmState.MIGRATING);
        }
    }

    @Override
    public void endMigration() {
        synchronized (lock) {
            if (state == VmState.MIGRATING) {
                setState(vcpusRunning ? VmState.RUNNING : VmState.PAUSED);
            }
        }
    }

    /**
     * QEMU's device state and non-shared RAM (firmware, option ROMs), taken by a migration with
     * {@code x-ignore-shared} into a file of the run folder. The vCPUs must be stopped. QEMU is
     * left in {@code postmigrate}; {@link #resume()} still runs it if the migration goes no further.
     */
    @Override
    public byte[] saveDeviceState() {
        synchronized (lock) {
            requireAlive("save the device state of");
            if (vcpusRunning) {
                throw new VmlabException("cannot save the device state of VM '" + id + "': pause it first");
            }
            Path out = process.runDir().resolve("devstate.out");
            try {
                Files.deleteIfExists(out);
                setIgnoreShared();
                qmp.execute("migrate", Map.of("uri", "exec:cat > " + shellQuote(out)), QMP_TIMEOUT);
                Map<String, Object> st = awaitMigration("saving the device state");
                byte[] bytes = Files.readAllBytes(out);
                LOG.info("VM '{}': device state {} bytes in {} ms", id, bytes.length, Json.num(st, "total-time", -1));
                return bytes;
            } catch (IOException e) {
                throw new VmlabException("cannot save the device state of VM '" + id + "': " + e, e);
            } finally {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // the run folder goes with the VM
                }
            }
        }
    }

    @Override
    public void loadDeviceState(byte[] stateBytes) {
        Objects.requireNonNull(stateBytes, "state");
        synchronized (lock) {
            requireAlive("load device state into");
            if (!awaitingDeviceState) {
                throw new VmlabException("cannot load device state into VM '" + id
                        + "': it was not prepared as an incoming VM, or has its device state already");
            }
            if (stateBytes.length < 8 || (stateBytes[0] != 'Q' || stateBytes[1] != 'E'
                    || stateBytes[2] != 'V' || stateBytes[3] != 'M')) {
                throw new VmlabException("cannot load device state into VM '" + id
                        + "': it is not a QEMU migration stream (from another kind of VM?)");
            }
            Path in = process.runDir().resolve("devstate.in");
            try {
                Files.write(in, stateBytes);
                setIgnoreShared();
                qmp.execute("migrate-incoming", Map.of("uri", "exec:cat " + shellQuote(in)), QMP_TIMEOUT);
                awaitMigration("loading the device state");
                awaitingDeviceState = false;
            } catch (IOException e) {
                throw new VmlabException("cannot load device state into VM '" + id + "': " + e, e);
            } finally {
                try {
                    Files.deleteIfExists(in);
                } catch (IOException ignored) {
                    // the run folder goes with the VM
                }
            }
            backend.startWorkloadView(this);
        }
    }

    /**
     * QEMU's own migration into this (incoming) VM completed: it has its device state, and runs
     * if QEMU started it. The workload view starts on its console.
     */
    void nativeIncomingDone() {
        synchronized (lock) {
            awaitingDeviceState = false;
            vcpusRunning = "running".equals(Json.str(qmp.execute("query-status", null, QMP_TIMEOUT), "status"));
            backend.startWorkloadView(this);
        }
    }

    /** Sets QEMU migration capabilities (name to on/off) on this VM. */
    void setCapabilities(Map<String, Boolean> caps) {
        List<Map<String, Object>> l = new java.util.ArrayList<>();
        caps.forEach((k, v) -> l.add(Map.of("capability", k, "state", v)));
        qmp.execute("migrate-set-capabilities", Map.of("capabilities", l), QMP_TIMEOUT);
        if (caps.containsKey("x-ignore-shared")) {
            migrationUsed = caps.get("x-ignore-shared");
        }
    }

    private void setIgnoreShared() {
        if (!migrationUsed) {
            qmp.execute("migrate-set-capabilities", Map.of("capabilities", List.of(
                    Map.of("capability", "x-ignore-shared", "state", true))), QMP_TIMEOUT);
            migrationUsed = true;
        }
    }

    /** Polls query-migrate until completed; throws with QEMU's error on failure or timeout. */
    Map<String, Object> awaitMigration(String what) {
        long deadline = System.nanoTime() + MIGRATION_TIMEOUT.toNanos();
        while (true) {
            Map<String, Object> st = qmp.execute("query-migrate", null, QMP_TIMEOUT);
            String status = Json.str(st, "status");
            if ("completed".equals(status)) {
                return st;
            }
            if ("failed".equals(status) || "cancelled".equals(status)) {
                String err = Json.str(st, "error-desc");
                throw new VmlabException("QEMU failed " + what + " of VM '" + id + "': "
                        + (err != null ? err : status) + "; " + process.lastLines(3));
            }
            if (!process.isAlive()) {
                throw new VmlabException("QEMU of VM '" + id + "' died while " + what + "; " + process.lastLines(5));
            }
            if (System.nanoTime() > deadline) {
                throw new VmlabException("QEMU did not finish " + what + " of VM '" + id + "' within "
                        + MIGRATION_TIMEOUT.toSeconds() + " s (status " + status + ")");
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VmlabException("interrupted while " + what + " of VM '" + id + "'");
            }
        }
    }

    static String shellQuote(Path p) {
        String s = p.toString();
        if (s.indexOf('\'') >= 0) {
            throw new VmlabException("path " + s + " contains a single quote");
        }
        return "'" + s + "'";
    }

    /**
     * Writes one self-contained file ({@link QemuSnapshot} has the format): the spec, QEMU's device
     * state from {@link #saveDeviceState()}, the guest RAM (non-zero pages only) and, when the VM
     * runs on a private copy of the shared disk image, that copy too, since the guest may have
     * changed it and the run folder goes with the VM; a disk the spec names is the user's own file
     * and is recorded by path and size only. A running VM is paused for the snapshot and runs again
     * afterwards, also when it fails. A relative path resolves against
     * {@link QemuBackend#snapshotDir()}.
     */
    @Override
    public void snapshot(Path file) {
        Objects.requireNonNull(file, "file");
        Path target = backend.resolveSnapshotPath(file);
        synchronized (lock) {
            requireAlive("snapshot");
            if (awaitingDeviceState) {
                throw new VmlabException("cannot snapshot VM '" + id
                        + "': it is a migration destination that has no device state yet");
            }
            if (state == VmState.MIGRATING) {
                throw new VmlabException("cannot snapshot VM '" + id + "' while it migrates");
            }
            boolean wasRunning = vcpusRunning;
            if (wasRunning) {
                pause();
            }
            RuntimeException failed = null;
            try {
                QemuSnapshot.write(this, target, saveDeviceState());
            } catch (RuntimeException e) {
                failed = e;
                throw e;
            } finally {
                if (wasRunning) {
                    try {
                        resume();
                    } catch (RuntimeException e) {
                        if (failed == null) {
                            throw e;
                        }
                        failed.addSuppressed(e);
                    }
                }
            }
        }
    }

    /**
     * A restored VM has its device state: it waits, paused, in {@link VmState#CREATED} until
     * {@link #resume()}, as {@link org.vmlab.api.vm.VmBackend#restore} promises.
     */
    void restored() {
        synchronized (lock) {
            requireAlive("restore");
            setState(VmState.CREATED);
        }
    }

    @Override
    public void destroy() {
        synchronized (lock) {
            if (destroyed) {
                return;
            }
            destroyed = true;
            throttle = 0;
            lock.notifyAll();
            WorkloadRun r = run;
            if (r != null) {
                try {
                    r.stop();
                } catch (RuntimeException e) {
                    LOG.warn("workload view of VM '{}' failed to stop: {}", id, e.toString());
                }
            }
            qmp.close();
            if (!process.kill(KILL_GRACE)) {
                LOG.warn("QEMU pid {} of VM '{}' did not die", process.pid(), id);
            }
            memory.close();
            QemuProcess.deleteRunDir(process.runDir());
            backend.removed(this);
            setState(VmState.STOPPED);
        }
    }

    @Override
    public void addStateListener(VmStateListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public void removeStateListener(VmStateListener listener) {
        listeners.remove(listener);
    }

    @Override
    public String toString() {
        return "qemu VM '" + id + "' (" + state.name().toLowerCase() + ", " + accelerator + ")";
    }

    /** QEMU guests run their own software: they count vCPUs but take no vmlab tasks. */
    static final class QemuVcpus implements Vcpus {
        private final int count;

        QemuVcpus(int count) {
            this.count = count;
        }

        @Override
        public int count() {
            return count;
        }

        @Override
        public TaskHandle submit(String name, GuestTask task) {
            throw new VmlabException("qemu guests run their own programs; vmlab tasks ('" + name
                    + "') cannot run on their vCPUs");
        }
    }
}
