package org.vmlab.emu;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
import org.vmlab.api.vm.BackendInfo;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmBackend;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.api.workload.Workload;

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
public class EmuBackend implements VmBackend, AutoCloseable {
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

    private volatile EmuSettings settings;
    private final Map<String, EmuVm> vms = new ConcurrentHashMap<>();
    private final Map<String, Workload> workloads = new ConcurrentHashMap<>();
    private final Object createLock = new Object();

    /** For DS: settings come with {@link #activate}. */
    public EmuBackend() {
    }

    /** Outside OSGi (tests, tools): a backend with these settings and no workloads yet. */
    public EmuBackend(EmuSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    @Activate
    void activate(Config config, BundleContext context) {
        settings = settingsOf(config, context);
        LOG.info("emu backend: memory in {}, state in {}, guest memory cap {}",
                settings.memoryDir(), settings.stateDir(), new ByteSize(settings.maxGuestMemoryBytes()));
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

    static EmuSettings settingsOf(Config config, BundleContext context) {
        String data = context == null ? null : context.getProperty("karaf.data");
        if (data == null) {
            data = System.getProperty("karaf.data");
        }
        Path karafData = data != null ? Path.of(data)
                : Path.of(System.getProperty("java.io.tmpdir"), "vmlab-data");
        EmuSettings d = EmuSettings.defaults(karafData);
        Path mem = blank(config.memoryDir()) ? d.memoryDir() : Path.of(config.memoryDir().trim());
        Path state = blank(config.stateDir()) ? d.stateDir() : Path.of(config.stateDir().trim());
        long cap = d.maxGuestMemoryBytes();
        if (!blank(config.maxGuestMemory())) {
            try {
                cap = ByteSize.parse(config.maxGuestMemory()).bytes();
            } catch (IllegalArgumentException e) {
                LOG.warn("org.vmlab.emu maxGuestMemory: {}; using the default {}", e.getMessage(),
                        new ByteSize(cap));
            }
            if (cap <= 0) {
                cap = d.maxGuestMemoryBytes();
            }
        }
        return new EmuSettings(mem, state, cap);
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** Destroys every VM (their memory files go with them); the backend stays usable. */
    @Override
    public void close() {
        for (EmuVm vm : new ArrayList<>(vms.values())) {
            try {
                vm.destroy();
            } catch (RuntimeException e) {
                LOG.warn("destroying VM '{}' failed: {}", vm.id(), e.toString());
            }
        }
    }

    public EmuSettings settings() {
        return requireSettings();
    }

    private EmuSettings requireSettings() {
        EmuSettings s = settings;
        if (s == null) {
            throw new VmlabException("the emu backend is not configured (not activated)");
        }
        return s;
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

    // ------------------------------------------------------------ VmBackend

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Vm create(VmSpec spec) {
        return create(spec, Mode.CREATE, null);
    }

    @Override
    public Vm prepareIncoming(VmSpec spec) {
        return create(spec, Mode.INCOMING, null);
    }

    @Override
    public Vm restore(Path snapshotFile) {
        Objects.requireNonNull(snapshotFile, "snapshotFile");
        return EmuSnapshot.restore(this, resolveStatePath(snapshotFile));
    }

    @Override
    public boolean recognizes(Path snapshotFile) {
        return snapshotFile != null && settings != null && EmuSnapshot.hasMagic(resolveStatePath(snapshotFile));
    }

    @Override
    public List<Vm> vms() {
        List<Vm> out = new ArrayList<>(vms.values());
        out.sort(Comparator.comparing(Vm::id));
        return out;
    }

    @Override
    public Optional<Vm> find(String id) {
        return id == null ? Optional.empty() : Optional.ofNullable(vms.get(id));
    }

    @Override
    public BackendInfo info() {
        EmuSettings s = requireSettings();
        return new BackendInfo(NAME, "jvm", s.maxGuestMemoryBytes(), Map.of(
                "memoryDir", s.memoryDir().toString(),
                "stateDir", s.stateDir().toString(),
                "vms", Integer.toString(vms.size()),
                "memoryInUse", new ByteSize(memoryInUse()).toString(),
                "java", Runtime.version().toString()));
    }

    /** Guest memory of all VMs now. */
    public long memoryInUse() {
        long sum = 0;
        for (EmuVm vm : vms.values()) {
            sum += vm.spec().memoryBytes();
        }
        return sum;
    }

    // ------------------------------------------------------------ creation

    enum Mode { CREATE, INCOMING, RESTORE }

    /** Resolves a relative snapshot path against the state folder. */
    Path resolveStatePath(Path file) {
        return file.isAbsolute() ? file : requireSettings().stateDir().resolve(file);
    }

    /** The parts of a VM being built, so a failure can undo exactly what was done. */
    static final class Parts implements AutoCloseable {
        EmuGuestMemory memory;
        EmuDisk disk;
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
        EmuSettings s = requireSettings();
        EmuVm vm;
        Optional<Workload> workload;
        synchronized (createLock) {
            String id;
            if (mode == Mode.CREATE) {
                if (vms.containsKey(spec.name())) {
                    throw new VmlabException("a VM named '" + spec.name() + "' exists already");
                }
                id = spec.name();
            } else {
                id = freeId(spec.name(), mode == Mode.INCOMING ? "incoming" : "restored");
            }
            checkMemory(spec, s);
            workload = resolveWorkload(spec);
            DiskPlan plan = DiskPlan.of(spec, mode == Mode.RESTORE);
            Parts parts = new Parts();
            boolean ok = false;
            try {
                parts.memory = EmuGuestMemory.create(s.memoryDir(), id, spec.memoryBytes());
                parts.diskPlan = plan;
                parts.disk = plan.open();
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
                vm = new EmuVm(this, id, spec, parts.memory, parts.disk, parts.guestOs, parts.vcpus,
                        initial);
                if (mode == Mode.INCOMING) {
                    vm.expectDeviceState();
                }
                vms.put(id, vm);
                ok = true;
            } catch (IOException e) {
                throw new VmlabException("cannot create VM '" + spec.name() + "': " + e, e);
            } finally {
                if (!ok) {
                    parts.close();
                }
            }
            if (mode == Mode.CREATE && workload.isPresent()) {
                try {
                    vm.startWorkload(workload.get(), spec.workload(), spec.workloadParameters());
                } catch (RuntimeException e) {
                    vm.destroy();
                    plan.undo();
                    throw new VmlabException("cannot create VM '" + spec.name() + "': workload '"
                            + spec.workload() + "' did not start: " + e.getMessage(), e);
                }
            } else if (mode != Mode.CREATE && workload.isPresent()) {
                vm.resumeWorkloadLater(spec.workload(), spec.workloadParameters());
            }
        }
        return vm;
    }

    /** Loads a restored VM's memory and guest OS state before it is registered. */
    @FunctionalInterface
    interface Filler {
        void fill(EmuGuestMemory memory, EmuGuestOs guestOs) throws IOException;
    }

    private String freeId(String name, String suffix) {
        if (!vms.containsKey(name)) {
            return name;
        }
        for (int i = 1; ; i++) {
            String base = name.length() > 40 ? name.substring(0, 40) : name;
            String id = base + "-" + suffix + (i == 1 ? "" : "-" + i);
            if (!vms.containsKey(id)) {
                return id;
            }
        }
    }

    private void checkMemory(VmSpec spec, EmuSettings s) {
        long want = spec.memoryBytes();
        long inUse = memoryInUse();
        if (want > s.maxGuestMemoryBytes() - inUse) {
            throw new VmlabException("VM '" + spec.name() + "' asks for " + new ByteSize(want)
                    + " of memory but the emu backend allows " + approx(s.maxGuestMemoryBytes())
                    + " in all and " + approx(inUse) + " are in use");
        }
        if (spec.memoryBytes() / Pages.SIZE > Integer.MAX_VALUE) {
            throw new VmlabException("VM '" + spec.name() + "' asks for " + new ByteSize(want)
                    + " of memory; emu supports at most 8 TiB");
        }
        long free = usableSpace(s.memoryDir());
        if (free >= 0 && want > free) {
            throw new VmlabException("VM '" + spec.name() + "' asks for " + new ByteSize(want)
                    + " of memory but the memory folder " + s.memoryDir() + " has only "
                    + approx(free) + " free");
        }
    }

    /** A size for people to read (ByteSize prints exact values, which for limits look odd). */
    static String approx(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(java.util.Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        }
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
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

    void removed(EmuVm vm) {
        vms.remove(vm.id(), vm);
    }

    /** What to do with a spec's disk image: validated up front, applied by {@link #open()}. */
    static final class DiskPlan {
        final Path path;
        final long blocks;
        final boolean create;
        final long oldSize; // >= 0: grow from this size; -1: leave as is
        private boolean created;
        private boolean grown;

        private DiskPlan(Path path, long blocks, boolean create, long oldSize) {
            this.path = path;
            this.blocks = blocks;
            this.create = create;
            this.oldSize = oldSize;
        }

        static DiskPlan of(VmSpec spec, boolean mustExist) {
            Path image = spec.diskImage();
            if (image == null) {
                return new DiskPlan(null, 0, false, -1);
            }
            Path p = image.toAbsolutePath().normalize();
            String vm = "VM '" + spec.name() + "'";
            if (Files.isDirectory(p)) {
                throw new VmlabException("the disk image " + p + " of " + vm + " is a directory");
            }
            if (Files.exists(p)) {
                if (!Files.isRegularFile(p)) {
                    throw new VmlabException("the disk image " + p + " of " + vm + " is not a regular file");
                }
                if (!Files.isReadable(p) || !Files.isWritable(p)) {
                    throw new VmlabException("the disk image " + p + " of " + vm
                            + " is not readable and writable");
                }
                long size;
                try {
                    size = Files.size(p);
                } catch (IOException e) {
                    throw new VmlabException("cannot read the size of disk image " + p + " of " + vm + ": " + e, e);
                }
                long bytes = Math.max(size, spec.diskBytes());
                long blocks = (bytes + EmuDisk.BLOCK_SIZE - 1) / EmuDisk.BLOCK_SIZE;
                if (blocks == 0) {
                    throw new VmlabException("the disk image " + p + " of " + vm
                            + " is empty; give a disk size to grow it");
                }
                checkBlocks(blocks, p, vm);
                return new DiskPlan(p, blocks, false, spec.diskBytes() > size ? size : -1);
            }
            if (mustExist) {
                throw new VmlabException("the disk image " + p + " of " + vm + " does not exist");
            }
            if (spec.diskBytes() == 0) {
                throw new VmlabException("the disk image " + p + " of " + vm
                        + " does not exist; give a disk size to create it");
            }
            Path dir = p.getParent();
            if (dir == null || !Files.isDirectory(dir)) {
                throw new VmlabException("the folder of disk image " + p + " of " + vm + " does not exist");
            }
            if (!Files.isWritable(dir)) {
                throw new VmlabException("cannot create disk image " + p + " of " + vm
                        + ": its folder is not writable");
            }
            long blocks = spec.diskBytes() / EmuDisk.BLOCK_SIZE;
            checkBlocks(blocks, p, vm);
            return new DiskPlan(p, blocks, true, -1);
        }

        private static void checkBlocks(long blocks, Path p, String vm) {
            if (blocks > Integer.MAX_VALUE) {
                throw new VmlabException("the disk image " + p + " of " + vm
                        + " is larger than emu supports (8 TiB)");
            }
        }

        /** Creates or grows the image (sparse) and opens it; null without a disk. */
        EmuDisk open() throws IOException {
            if (path == null) {
                return null;
            }
            long bytes = blocks * EmuDisk.BLOCK_SIZE;
            if (create) {
                Files.createFile(path);
                created = true;
                try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "rw")) {
                    f.setLength(bytes);
                }
            } else if (oldSize >= 0) {
                try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "rw")) {
                    f.setLength(bytes);
                }
                grown = true;
            }
            return EmuDisk.open(path, blocks);
        }

        /** Deletes an image this plan created, or shrinks one it grew back; idempotent. */
        void undo() {
            try {
                if (created) {
                    Files.deleteIfExists(path);
                    created = false;
                } else if (grown) {
                    try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "rw")) {
                        f.setLength(oldSize);
                    }
                    grown = false;
                }
            } catch (IOException e) {
                LOG.warn("cannot undo the disk image {}: {}", path, e.toString());
            }
        }
    }
}
