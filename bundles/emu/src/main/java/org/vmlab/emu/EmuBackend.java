package org.vmlab.emu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.ByteSize;
import org.vmlab.api.VmlabException;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.provider.ProviderProperties;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.storage.IncomingDisks;
import org.vmlab.api.tiering.FrameTiers;
import org.vmlab.api.tiering.TierLayout;
import org.vmlab.api.tiering.TieringService;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.BackendInfo;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmBackend;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.api.workload.Workload;
import org.vmlab.backend.support.config.BackendConfig;
import org.vmlab.backend.support.vm.AbstractVmBackend;
import org.vmlab.backend.support.vm.VmRegistry;

/**
 * The embedded VM backend: in-JVM guests with off-heap memory, vCPU threads and a guest page
 * cache over a disk image. A DS component in Karaf; outside OSGi, construct it with
 * {@link #EmuBackend(EmuSettings)}, add workloads with {@link #registerWorkload}, and
 * {@link #close()} it to destroy every VM.
 */
@Component(service = VmBackend.class, configurationPid = "org.vmlab.emu",
        property = {
                "vmlab.family=backend",
                "vmlab.name=emu",
                "vmlab.backend=emu",
                "vmlab.description=Embedded in-JVM guests: off-heap memory, vCPU threads, page cache over a disk image",
                "service.ranking:Integer=100"})
@Designate(ocd = EmuBackend.Config.class)
public class EmuBackend extends AbstractVmBackend<EmuVm, EmuSettings> {
    /** The {@code vmlab.backend} value. */
    public static final String NAME = "emu";
    /** A workload name that means "run nothing" when no workload of that name is installed. */
    public static final String IDLE = "idle";

    private static final Logger LOG = LoggerFactory.getLogger(EmuBackend.class);

    @ObjectClassDefinition(name = "vmlab emu backend",
            description = "Where the embedded VM backend keeps guest memory and state, and how much memory it may use")
    public @interface Config {
        @AttributeDefinition(name = "Memory folder",
                description = "Folder of the guest memory files; empty for /dev/shm/vmlab-emu if /dev/shm exists, else ${karaf.data}/vmlab/emu/memory")
        String memoryDir() default "";

        @AttributeDefinition(name = "State folder",
                description = "Folder of the backend's state (relative snapshot paths resolve here); empty for ${karaf.data}/vmlab/emu")
        String stateDir() default "";

        @AttributeDefinition(name = "Guest memory cap",
                description = "The most guest memory all emu VMs together may have, e.g. 16G; empty for 75% of physical RAM")
        String maxGuestMemory() default "";
    }

    private final Map<String, Workload> workloads = new ConcurrentHashMap<>();
    /** The NVM emulator, for guests whose spec has a memory-tiers device; optional. */
    private volatile TieringService tiering;
    private volatile IncomingDisks incomingDisks;

    /** For DS: settings come with {@link #activate}. */
    public EmuBackend() {
        super(NAME, EmuSnapshot.FORMAT, null);
    }

    /** Outside OSGi (tests, tools): a backend with these settings and no workloads yet. */
    public EmuBackend(EmuSettings settings) {
        super(NAME, EmuSnapshot.FORMAT, Objects.requireNonNull(settings, "settings"));
    }

    @Activate
    void activate(Config config, BundleContext context) {
        EmuSettings s = EmuSettings.of(config, BackendConfig.karafData(context));
        configure(s);
        LOG.info("emu backend: memory in {}, state in {}, guest memory cap {}",
                s.memoryDir(), s.stateDir(), new ByteSize(s.maxGuestMemoryBytes()));
    }

    /** New settings apply to VMs created from now on; running VMs are kept. */
    @Modified
    void modified(Config config, BundleContext context) {
        activate(config, context);
    }

    @Deactivate
    void deactivate() {
        close();
    }

    // ------------------------------------------------------------ workloads

    @Reference(service = Workload.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, unbind = "removeWorkload")
    void addWorkload(Workload workload, Map<String, Object> properties) {
        Object name = properties.get(ProviderProperties.NAME);
        if (name != null) {
            registerWorkload(name.toString(), workload);
        } else {
            LOG.warn("workload service {} has no {} property; ignored", workload, ProviderProperties.NAME);
        }
    }

    void removeWorkload(Workload workload, Map<String, Object> properties) {
        Object name = properties.get(ProviderProperties.NAME);
        if (name != null) {
            unregisterWorkload(name.toString(), workload);
        }
    }

    /** Makes a workload available under {@code name} to specs created from now on. */
    public void registerWorkload(String name, Workload workload) {
        workloads.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(workload, "workload"));
    }

    /** Removes the workload registered under {@code name} if it is {@code workload}. */
    public void unregisterWorkload(String name, Workload workload) {
        workloads.remove(name, workload);
    }

    /** The workload installed under {@code name}. */
    public Optional<Workload> lookupWorkload(String name) {
        return name == null ? Optional.empty() : Optional.ofNullable(workloads.get(name));
    }

    /**
     * The workload a spec names: empty for none (null, or "idle" with no idle workload installed).
     *
     * @throws VmlabException if the name is unknown
     */
    private Optional<Workload> resolveWorkload(VmSpec spec) {
        String w = spec.workload();
        if (w == null) {
            return Optional.empty();
        }
        Workload found = workloads.get(w);
        if (found != null) {
            return Optional.of(found);
        }
        if (IDLE.equals(w)) {
            return Optional.empty();
        }
        throw new VmlabException("VM '" + spec.name() + "' names an unknown workload '" + w
                + "'; installed: " + (workloads.isEmpty() ? "none" : new TreeSet<>(workloads.keySet())));
    }

    /** Storage migration's copy-on-read disks, for incoming VMs that bring their disk; optional. */
    @Reference(service = IncomingDisks.class, cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC, unbind = "unsetIncomingDisks")
    public void setIncomingDisks(IncomingDisks d) {
        incomingDisks = d;
    }

    void unsetIncomingDisks(IncomingDisks d) {
        if (incomingDisks == d) {
            incomingDisks = null;
        }
    }

    private Optional<BlockDevice> incomingDisk(VmSpec spec) {
        if (!IncomingDiskSource.named(spec)) {
            return Optional.empty();
        }
        IncomingDisks d = incomingDisks;
        if (d == null) {
            throw new VmlabException("VM '" + spec.name() + "' brings its disk but storage is not installed here"
                    + " (feature:install vmlab-storage)");
        }
        return d.open(spec);
    }

    @Reference(service = TieringService.class, cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC, unbind = "unsetTiering")
    public void setTiering(TieringService t) {
        tiering = t;
    }

    void unsetTiering(TieringService t) {
        if (tiering == t) {
            tiering = null;
        }
    }

    /** The tiers a spec asks for (a memory-tiers device), made for VM {@code id}; null for plain memory. */
    private FrameTiers tiersFor(VmSpec spec, String id) {
        Optional<DeviceSpec> device = spec.devices().stream()
                .filter(d -> TierLayout.DEVICE_TYPE.equals(d.type())).findFirst();
        if (device.isEmpty()) {
            return null;
        }
        TieringService t = tiering;
        if (t == null) {
            throw new VmlabException("VM '" + spec.name() + "' asks for tiered memory but the NVM emulator is not"
                    + " installed (feature:install vmlab-tiering)");
        }
        try {
            return t.frameTiers(id, spec.memoryBytes() / Pages.SIZE, TierLayout.fromDevice(device.get()));
        } catch (IllegalArgumentException e) {
            throw new VmlabException("VM '" + spec.name() + "': " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------ VmBackend

    @Override
    public Vm create(VmSpec spec) {
        return create(spec, Mode.CREATE, null);
    }

    @Override
    public Vm prepareIncoming(VmSpec spec) {
        return create(spec, Mode.INCOMING, null);
    }

    @Override
    protected Vm restoreFrom(Path file) {
        return EmuSnapshot.restore(this, file);
    }

    /** Relative snapshot paths resolve in the state folder. */
    @Override
    protected Path snapshotFolder() {
        return settings().stateDir();
    }

    @Override
    public BackendInfo info() {
        EmuSettings s = settings();
        return new BackendInfo(NAME, "jvm", s.maxGuestMemoryBytes(), Map.of(
                "memoryDir", s.memoryDir().toString(),
                "stateDir", s.stateDir().toString(),
                "vms", Integer.toString(registry().size()),
                "memoryInUse", new ByteSize(memoryInUse()).toString(),
                "java", Runtime.version().toString()));
    }

    // ------------------------------------------------------------ creation

    /** How a VM comes to be, and the suffix its id takes while its name is in use (none: refused). */
    enum Mode {
        CREATE(null), INCOMING("incoming"), RESTORE("restored");

        final String idSuffix;

        Mode(String idSuffix) {
            this.idSuffix = idSuffix;
        }
    }

    /** The parts of a VM being built, so a failure can undo exactly what was done. */
    static final class Parts implements AutoCloseable {
        EmuGuestMemory memory;
        BlockDevice disk;
        DiskPlan diskPlan;
        EmuGuestOs guestOs;
        EmuVcpus vcpus;

        @Override
        public void close() {
            if (vcpus != null) {
                vcpus.destroy();
            }
            if (disk != null) {
                disk.close();
            }
            if (diskPlan != null) {
                diskPlan.undo();
            }
            if (memory != null) {
                memory.close();
            }
        }
    }

    /**
     * Builds, registers and (for {@link Mode#CREATE}) starts a VM. For {@link Mode#RESTORE},
     * {@code filler} loads memory and guest OS state before the VM is registered.
     */
    EmuVm create(VmSpec spec, Mode mode, Filler filler) {
        Objects.requireNonNull(spec, "spec");
        if (!NAME.equals(spec.backend())) {
            throw new IllegalArgumentException("VM '" + spec.name() + "' is for backend '"
                    + spec.backend() + "', not '" + NAME + "'");
        }
        EmuSettings s = settings();
        checkMemory(spec, s);
        Optional<Workload> workload = resolveWorkload(spec);
        // A disk arriving with the VM comes from its source, not from the image path (the source's).
        DiskPlan plan = mode == Mode.INCOMING && IncomingDiskSource.named(spec)
                ? DiskPlan.of(IncomingDiskSource.withoutImage(spec), false) : DiskPlan.of(spec, mode == Mode.RESTORE);
        EmuVm vm;
        try (VmRegistry<EmuVm>.Reservation reservation = registry().reserve(spec, mode.idSuffix, s.maxGuestMemoryBytes())) {
            String id = reservation.id();
            Parts parts = new Parts();
            boolean ok = false;
            try {
                parts.memory = EmuGuestMemory.create(s.memoryDir(), id, spec.memoryBytes());
                parts.memory.setTiers(tiersFor(spec, id));
                parts.diskPlan = plan;
                parts.disk = mode == Mode.INCOMING ? incomingDisk(spec).orElse(null) : null;
                if (parts.disk == null) {
                    parts.disk = plan.open();
                }
                parts.guestOs = new EmuGuestOs(id, parts.memory, parts.disk);
                if (filler != null) {
                    filler.fill(parts.memory, parts.guestOs);
                }
                parts.vcpus = new EmuVcpus(id, spec.vcpus(), mode != Mode.CREATE);
                VmState initial = switch (mode) {
                    case CREATE -> VmState.RUNNING;
                    case INCOMING -> VmState.MIGRATING;
                    case RESTORE -> VmState.CREATED;
                };
                vm = new EmuVm(this, id, IncomingDiskSource.settled(spec), parts.memory, parts.disk, parts.guestOs, parts.vcpus, initial);
                if (mode == Mode.INCOMING) {
                    vm.expectDeviceState();
                }
                reservation.register(vm);
                ok = true;
            } catch (IOException e) {
                throw new VmlabException("cannot create VM '" + spec.name() + "': " + e, e);
            } finally {
                if (!ok) {
                    parts.close();
                }
            }
        }
        if (mode == Mode.CREATE && workload.isPresent()) {
            try {
                vm.startWorkload(workload.get(), spec.workloadParameters());
            } catch (RuntimeException e) {
                vm.destroy();
                plan.undo();
                throw new VmlabException("cannot create VM '" + spec.name() + "': workload '"
                        + spec.workload() + "' did not start: " + e.getMessage(), e);
            }
        } else if (mode != Mode.CREATE && workload.isPresent()) {
            vm.resumeWorkloadLater(spec.workload(), spec.workloadParameters());
        }
        return vm;
    }

    /** Loads a restored VM's memory and guest OS state before it is registered. */
    @FunctionalInterface
    interface Filler {
        void fill(EmuGuestMemory memory, EmuGuestOs guestOs) throws IOException;
    }

    /** What only emu limits: its page frame numbers, and the free space of the memory folder. */
    private static void checkMemory(VmSpec spec, EmuSettings s) {
        long want = spec.memoryBytes();
        if (want / Pages.SIZE > Integer.MAX_VALUE) {
            throw new VmlabException("VM '" + spec.name() + "' asks for " + new ByteSize(want)
                    + " of memory; emu supports at most 8 TiB");
        }
        long free = usableSpace(s.memoryDir());
        if (free >= 0 && want > free) {
            throw new VmlabException("VM '" + spec.name() + "' asks for " + new ByteSize(want)
                    + " of memory but the memory folder " + s.memoryDir() + " has only "
                    + VmRegistry.approx(free) + " free");
        }
    }

    /** Usable bytes on the file system of {@code dir} (or its nearest existing parent); -1 if unknown. */
    static long usableSpace(Path dir) {
        Path p = dir;
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        if (p == null) {
            return -1;
        }
        try {
            return Files.getFileStore(p).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * This backend's VMs as a {@link org.vmlab.api.vm.VmDirectory}, for tools and tests that run
     * vmlab's services outside OSGi (in Karaf the core's directory spans every backend).
     */
    public org.vmlab.api.vm.VmDirectory directory() {
        EmuBackend self = this;
        return new org.vmlab.api.vm.VmDirectory() {
            @Override
            public List<Vm> vms() {
                return self.vms();
            }

            @Override
            public Optional<Vm> find(String id) {
                return self.find(id);
            }

            @Override
            public Vm create(VmSpec spec) {
                return self.create(spec);
            }

            @Override
            public Vm restore(java.nio.file.Path snapshot, String backend) {
                return self.restore(snapshot);
            }

            @Override
            public List<String> backends() {
                return List.of(NAME);
            }
        };
    }
}
