package org.vmlab.qemu;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.guest.Vcpus;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.PauseResult;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.api.workload.WorkloadRun;
import org.vmlab.backend.support.vm.BackendVm;

/**
 * One QEMU guest: its process, QMP session and mapped RAM. Lifecycle methods are serialized on one
 * lock; state also follows QMP events (a guest shutdown or panic, or QEMU exiting, makes the VM
 * {@link VmState#FAILED} with a reason).
 *
 * <p>Device state for vmlab's own engines: {@link #saveDeviceState()} runs QEMU's migration with
 * capability {@code x-ignore-shared} into a file, so it carries everything but the shared RAM
 * (which vmlab's data plane moves through {@link #memory()}); {@link #loadDeviceState(byte[])}
 * feeds it to a destination started with {@code -incoming defer} ({@link QmpMigration}).
 */
public final class QemuVm extends BackendVm {
    private static final Logger LOG = LoggerFactory.getLogger(QemuVm.class);

    static final Duration QMP_TIMEOUT = Duration.ofSeconds(10);
    static final Duration KILL_GRACE = Duration.ofSeconds(3);
    /** Period of the stop/cont duty cycle of {@link #throttle(double)}. */
    static final long THROTTLE_PERIOD_MS = 100;

    private final QemuBackend backend;
    private final QemuProcess process;
    private final QmpClient qmp;
    private final QemuGuestMemory memory;
    private final String accelerator;
    private final QmpMigration migration;
    private final StopContThrottle throttle;
    private final Vcpus vcpus;
    /** Guarded by {@link #lock}. */
    private final HotplugPorts ports;
    /** The one host end of the guest agent's port: its chardev takes one client at a time. */
    private final GuestAgentChannel agent;
    private final AgentPageCache agentPageCache;
    /** The workload's parameters as the guest runs them ({@link GuestCommandLine}). */
    private final Map<String, String> workloadParameters;

    private volatile boolean vcpusRunning;
    private volatile String failure;
    private boolean awaitingDeviceState;

    QemuVm(QemuBackend backend, String id, VmSpec spec, QemuProcess process, QmpClient qmp,
           QemuGuestMemory memory, String accelerator, Map<String, String> workloadParameters, VmState initial,
           boolean running) {
        super(backend.registry(), id, spec, initial);
        this.workloadParameters = Map.copyOf(workloadParameters);
        this.backend = backend;
        this.process = process;
        this.qmp = qmp;
        this.memory = memory;
        this.accelerator = accelerator;
        this.migration = new QmpMigration(id, qmp, process);
        this.throttle = new StopContThrottle(id, lock, new ThrottledGuest(), THROTTLE_PERIOD_MS);
        this.vcpusRunning = running;
        this.vcpus = new QemuVcpus(spec.vcpus());
        this.ports = new HotplugPorts(id);
        this.agent = new GuestAgentChannel(process.runDir().resolve("agent.sock"));
        this.agentPageCache = new AgentPageCache(agent,
                memory.sizeBytes(), java.nio.file.Files.exists(process.runDir().resolve("disk.img"))
                        || spec.diskImage() != null);
        this.awaitingDeviceState = initial == VmState.MIGRATING;
        qmp.addEventListener(this::onEvent);
        process.process().onExit().thenRun(this::onExit);
    }

    // ------------------------------------------------------------ accessors

    @Override
    public QemuGuestMemory memory() {
        return memory;
    }

    @Override
    public Optional<BlockDevice> disk() {
        return Optional.empty(); // the disk belongs to QEMU (virtio-blk); vmlab has no block view of it yet
    }

    @Override
    public Optional<GuestOs> guestOs() {
        return Optional.empty();
    }

    /** vmlab-agent's page-cache map (guest-agent detector); it says itself when the agent is silent. */
    @Override
    public Optional<org.vmlab.api.guest.PageCacheReporter> pageCacheReporter() {
        return Optional.of(agentPageCache);
    }

    @Override
    public Vcpus vcpus() {
        return vcpus;
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
        Map<String, String> d = new LinkedHashMap<>();
        d.put("accelerator", accelerator);
        d.put("qemuPid", Long.toString(process.pid()));
        d.put("runDir", process.runDir().toString());
        d.put("console", process.consoleLog().toString());
        d.put("ramFile", process.ramFile().toString());
        d.put("ramBytes", Long.toString(memory.sizeBytes()));
        return d;
    }

    /** The QMP session, for engines that drive QEMU's own migration. */
    public QmpClient qmp() {
        return qmp;
    }

    /** Why the VM failed, or null. */
    @Override
    public String failure() {
        return failure;
    }

    /** Whether the vCPUs run (as QMP last said). */
    public boolean vcpusRunning() {
        return vcpusRunning;
    }

    @Override
    protected boolean vcpusPaused() {
        return !vcpusRunning;
    }

    /** The workload's effective parameters, as the guest runs them. */
    Map<String, String> workloadParameters() {
        return workloadParameters;
    }

    /** Attaches the workload view of this guest (see {@link QemuBackend#startWorkloadView}). */
    void attachWorkload(WorkloadRun r) {
        setWorkloadRun(r);
    }

    // ------------------------------------------------------------ state

    private void fail(String reason) {
        if (isDestroyed() || state().isFinal()) {
            return;
        }
        failure = reason;
        LOG.warn("VM '{}' failed: {}", id(), reason);
        stopWorkload();
        setState(VmState.FAILED);
    }

    private void onEvent(QmpClient.Event e) {
        switch (e.name()) {
            case "STOP" -> {
                if (!throttle.holding()) {
                    vcpusRunning = false;
                }
            }
            case "RESUME" -> vcpusRunning = true;
            case "SHUTDOWN" -> {
                if (!isDestroyed()) {
                    fail("the guest shut down (" + e.data().getOrDefault("reason", "unknown reason") + ")");
                }
            }
            case "GUEST_PANICKED" -> fail("the guest kernel panicked");
            default -> LOG.debug("VM '{}': QMP event {} {}", id(), e.name(), e.data());
        }
    }

    private void onExit() {
        if (!isDestroyed()) {
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
            throttle.yieldStop(); // stopped now for the caller, not for the duty cycle
            vcpusRunning = false;
            if (state() == VmState.RUNNING) {
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
                throw new VmlabException("cannot resume VM '" + id()
                        + "': it is a migration destination that has no device state yet");
            }
            qmp.execute("cont", null, QMP_TIMEOUT);
            throttle.yieldStop();
            vcpusRunning = true;
            if (state() == VmState.PAUSED || state() == VmState.CREATED) {
                setState(VmState.RUNNING);
            }
        }
    }

    /**
     * Slows the guest by a stop/cont duty cycle over QMP ({@link StopContThrottle}): of every
     * {@link #THROTTLE_PERIOD_MS} ms the vCPUs are stopped for {@code fraction} of it; 0 ends it.
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
            throttle.set(fraction);
        }
    }

    /** The current throttle fraction, 0 when the guest runs at full speed. */
    public double throttleFraction() {
        return throttle.fraction();
    }

    /** The duty cycle's view of this VM; its calls come with {@link #lock} held. */
    private final class ThrottledGuest implements StopContThrottle.Guest {
        @Override
        public boolean mayStop() {
            return vcpusRunning && !isDestroyed() && !state().isFinal();
        }

        @Override
        public void stop() {
            qmp.execute("stop", null, QMP_TIMEOUT);
        }

        @Override
        public void cont() {
            qmp.execute("cont", null, QMP_TIMEOUT);
        }
    }

    /**
     * QEMU's device state and non-shared RAM (firmware, option ROMs). The vCPUs must be stopped.
     * QEMU is left in {@code postmigrate}; {@link #resume()} still runs it if the migration goes
     * no further.
     */
    @Override
    public byte[] saveDeviceState() {
        synchronized (lock) {
            requireAlive("save the device state of");
            if (vcpusRunning) {
                throw new VmlabException("cannot save the device state of VM '" + id() + "': pause it first");
            }
            requireNoPassthrough("save the device state of");
            return migration.saveDeviceState();
        }
    }

    @Override
    public void loadDeviceState(byte[] stateBytes) {
        Objects.requireNonNull(stateBytes, "state");
        synchronized (lock) {
            requireAlive("load device state into");
            if (!awaitingDeviceState) {
                throw new VmlabException("cannot load device state into VM '" + id()
                        + "': it was not prepared as an incoming VM, or has its device state already");
            }
            migration.loadDeviceState(stateBytes);
            awaitingDeviceState = false;
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

    // ------------------------------------------------------------ hot-plugged devices

    /** The guest agent (virtio-serial port {@code org.vmlab.agent}). */
    GuestAgentChannel agent() {
        return agent;
    }

    /** A hot-plug port no device uses, reserved for {@code device} until {@link #unplugged}. */
    String reservePort(DeviceSpec device) {
        synchronized (lock) {
            requireAlive("hot-plug a device into");
            if (devices().stream().anyMatch(d -> d.id().equals(device.id()))) {
                throw new IllegalArgumentException("VM '" + id() + "' already has a device '" + device.id() + "'");
            }
            return ports.reserve(device.id());
        }
    }

    /** The device is in the guest now. */
    void plugged(DeviceSpec device) {
        synchronized (lock) {
            List<DeviceSpec> now = new ArrayList<>(devices());
            now.add(device);
            setDevices(now);
        }
    }

    /** The device is gone (or never came): its port is free again. */
    void unplugged(String deviceId) {
        synchronized (lock) {
            ports.release(deviceId);
            setDevices(devices().stream().filter(d -> !d.id().equals(deviceId)).toList());
        }
    }

    /** Whether vmlab hot-plugged {@code deviceId} (as opposed to a device of the spec). */
    boolean hotplugged(String deviceId) {
        synchronized (lock) {
            return ports.holds(deviceId);
        }
    }

    /** Sets QEMU migration capabilities (name to on/off) on this VM. */
    void setCapabilities(Map<String, Boolean> caps) {
        migration.setCapabilities(caps);
    }

    /** Polls query-migrate until completed; throws with QEMU's error on failure or timeout. */
    Map<String, Object> awaitMigration(String what) {
        return migration.await(what);
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
                throw new VmlabException("cannot snapshot VM '" + id()
                        + "': it is a migration destination that has no device state yet");
            }
            if (state() == VmState.MIGRATING) {
                throw new VmlabException("cannot snapshot VM '" + id() + "' while it migrates");
            }
            requireNoPassthrough("snapshot");
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
    protected void release() {
        throttle.close();
        qmp.close();
        if (!process.kill(KILL_GRACE)) {
            LOG.warn("QEMU pid {} of VM '{}' did not die", process.pid(), id());
        }
        memory.close();
        QemuProcess.deleteRunDir(process.runDir());
    }

    @Override
    public String toString() {
        return "qemu VM '" + id() + "' (" + state().name().toLowerCase(Locale.ROOT) + ", " + accelerator + ")";
    }
}
