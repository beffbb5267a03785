package org.vmlab.qemu;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.ByteSize;
import org.vmlab.api.VmlabException;
import org.vmlab.api.vm.BackendInfo;
import org.vmlab.api.vm.NativeIncoming;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmBackend;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;

/**
 * The QEMU backend: each VM is a {@code qemu-system-x86_64} process (KVM when a probe boot works,
 * else TCG) controlled over QMP, with its RAM in a shared {@code memory-backend-file} that this
 * JVM maps, so vmlab's engines move real guest memory. A DS component in Karaf; outside OSGi,
 * construct it with {@link #QemuBackend(QemuSettings)} and {@link #close()} it.
 *
 * <p>Everything a VM has lives in its run folder {@code runRoot/<vm id>/}; destroy, close and
 * bundle stop remove process and folder, and {@link #start()} reaps folders a crashed platform
 * left behind.
 */
@Component(service = VmBackend.class, configurationPid = "org.vmlab.qemu",
        property = {
                "vmlab.family=backend",
                "vmlab.name=qemu",
                "vmlab.backend=qemu",
                "vmlab.description=Real QEMU guests over QMP (KVM or TCG); guest RAM in a shared file mapped by vmlab",
                "service.ranking:Integer=50"})
@Designate(ocd = QemuBackend.Config.class)
public class QemuBackend implements VmBackend, AutoCloseable {
    /** The {@code vmlab.backend} value. */
    public static final String NAME = "qemu";
    /** Smallest guest a Linux kernel with an initramfs boots in. */
    static final long MIN_MEMORY = 64L << 20;

    private static final Logger LOG = LoggerFactory.getLogger(QemuBackend.class);

    @ObjectClassDefinition(name = "vmlab qemu backend",
            description = "How the QEMU backend runs guests: binary, guest image, accelerator, run folder")
    public @interface Config {
        @AttributeDefinition(name = "QEMU binary", description = "qemu-system-x86_64 to run (a name is looked up on PATH)")
        String qemuBinary() default "qemu-system-x86_64";

        @AttributeDefinition(name = "Run folder",
                description = "Folder of the per-VM run folders (RAM file, QMP socket, console); empty for ${karaf.data}/vmlab/qemu. Put it on a tmpfs for speed; keep it short (Unix socket paths)")
        String runDir() default "";

        @AttributeDefinition(name = "Guest image folder",
                description = "Folder with vmlinuz, initramfs.img and disk.img from guest/build.sh; empty for ${karaf.home}/guest/image")
        String imageDir() default "";

        @AttributeDefinition(name = "Kernel", description = "Guest kernel; empty for <image folder>/vmlinuz")
        String kernel() default "";

        @AttributeDefinition(name = "Initramfs", description = "Guest initramfs; empty for <image folder>/initramfs.img, 'none' for none")
        String initrd() default "";

        @AttributeDefinition(name = "Disk image",
                description = "Raw disk image each VM gets a private copy of; empty for <image folder>/disk.img if it exists, 'none' for none")
        String disk() default "";

        @AttributeDefinition(name = "Accelerator", description = "auto (probe KVM, else TCG), kvm or tcg")
        String accelerator() default "auto";

        @AttributeDefinition(name = "Extra kernel options", description = "Appended to every guest's kernel command line")
        String append() default "";

        @AttributeDefinition(name = "Ready line",
                description = "Console line that says the guest is up; creation waits for it. Empty to not wait")
        String readyMarker() default QemuSettings.VMLAB_READY;

        @AttributeDefinition(name = "Boot timeout", description = "Seconds creation waits for the ready line")
        int bootTimeoutSeconds() default 120;

        @AttributeDefinition(name = "Guest memory cap", description = "The most guest memory all qemu VMs together may have, e.g. 8G; empty for half the physical RAM")
        String maxGuestMemory() default "";
    }

    private volatile QemuSettings settings;
    private volatile Path snapshotDir;
    private final Map<String, QemuVm> vms = new ConcurrentHashMap<>();
    private final Set<String> reserved = new HashSet<>();
    private final Object createLock = new Object();
    private final Object probeLock = new Object();
    private CompletableFuture<Accel> probe;

    /**
     * The accelerator chosen and why, with the QEMU version ({@code qemu --version}, e.g.
     * {@code 7.2.22}; empty if it could not be read).
     */
    public record Accel(String name, String reason, String qemuVersion) {
        public Accel(String name, String reason) {
            this(name, reason, "");
        }

        Accel withVersion(String version) {
            return new Accel(name, reason, version == null ? "" : version);
        }

        /**
         * Whether guests need {@link #TCG_RAM_PAD}: QEMU before 9.0 under TCG loses guest writes in
         * its own migration. Its dirty-bitmap sync has a fast path (RAM block 256 KiB aligned and a
         * multiple of 256 KiB long) that clears the dirty bits without re-arming the TCG TLB's
         * not-dirty trap, so a page written through a TLB entry that outlives the sync (kernel
         * per-CPU data behind global mappings) is never sent again; QEMU 9.0 fixed it (commit
         * 03bfc2188f, "physmem: Fix migration dirty bitmap coherency with TCG memory access").
         * RAM that is not a multiple of 256 KiB takes the per-page path, which re-arms the trap.
         * An unknown version counts as affected: the pad costs two pages and a slower sync.
         */
        public boolean needsRamPad() {
            return "tcg".equals(name) && majorVersion(qemuVersion) < 9;
        }

        static int majorVersion(String v) {
            int dot = v == null ? -1 : v.indexOf('.');
            try {
                return dot <= 0 ? -1 : Integer.parseInt(v.substring(0, dot));
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }

    /** RAM a guest gets beyond its spec when {@link Accel#needsRamPad()}: two pages (QEMU rounds -m to 8 KiB). */
    static final long TCG_RAM_PAD = 8L << 10;

    /** The size of a guest's RAM file: the spec's memory, padded where QEMU's TCG needs it. */
    long ramBytes(VmSpec spec, Accel accel) {
        return spec.memoryBytes() + (accel.needsRamPad() ? TCG_RAM_PAD : 0);
    }

    /** For DS: settings come with {@link #activate}. */
    public QemuBackend() {
    }

    /** Outside OSGi: a backend with these settings; call {@link #start()} to reap leftovers. */
    public QemuBackend(QemuSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    @Activate
    void activate(Config config, BundleContext context) {
        settings = settingsOf(config, context);
        snapshotDir = snapshotDirOf(context);
        start();
    }

    /** New settings apply to VMs created from now on; running VMs are kept. */
    @Modified
    void modified(Config config, BundleContext context) {
        settings = settingsOf(config, context);
        snapshotDir = snapshotDirOf(context);
        synchronized (probeLock) {
            probe = null;
        }
        probeAsync();
    }

    @Deactivate
    void deactivate() {
        close();
    }

    /** Reaps leftovers of a crashed platform in the run folder and starts the KVM probe. */
    public List<String> start() {
        QemuSettings s = requireSettings();
        List<String> reaped = QemuProcess.reap(s.runRoot(), QemuVm.KILL_GRACE);
        if (!reaped.isEmpty()) {
            LOG.info("qemu backend: reaped {} leftover run folder(s) in {}: {}", reaped.size(), s.runRoot(), reaped);
        }
        LOG.info("qemu backend: run folders in {}, kernel {}, accelerator setting {}", s.runRoot(), s.kernel(),
                s.accelerator());
        probeAsync();
        return reaped;
    }

    static QemuSettings settingsOf(Config c, BundleContext context) {
        Path karafData = Path.of(prop(context, "karaf.data", System.getProperty("java.io.tmpdir") + "/vmlab-data"));
        Path karafHome = Path.of(prop(context, "karaf.home", "."));
        Path image = blank(c.imageDir()) ? karafHome.resolve("guest").resolve("image") : Path.of(c.imageDir().trim());
        QemuSettings d = QemuSettings.defaults(karafData, image);
        long cap = d.maxGuestMemoryBytes();
        if (!blank(c.maxGuestMemory())) {
            try {
                cap = ByteSize.parse(c.maxGuestMemory()).bytes();
            } catch (IllegalArgumentException e) {
                LOG.warn("org.vmlab.qemu maxGuestMemory: {}; using the default", e.getMessage());
            }
        }
        Path disk = blank(c.disk()) ? d.disk() : "none".equals(c.disk().trim()) ? null : Path.of(c.disk().trim());
        Path initrd = blank(c.initrd()) ? d.initrd() : "none".equals(c.initrd().trim()) ? null : Path.of(c.initrd().trim());
        String accel = c.accelerator();
        if (accel != null && !List.of("auto", "kvm", "tcg").contains(accel.trim().toLowerCase(Locale.ROOT))) {
            LOG.warn("org.vmlab.qemu accelerator '{}' is not auto, kvm or tcg; using auto", accel);
            accel = "auto";
        }
        return new QemuSettings(blank(c.qemuBinary()) ? d.qemuBinary() : c.qemuBinary().trim(),
                blank(c.runDir()) ? d.runRoot() : Path.of(c.runDir().trim()),
                blank(c.kernel()) ? d.kernel() : Path.of(c.kernel().trim()), initrd, disk, accel,
                c.append(), c.readyMarker(), Duration.ofSeconds(Math.max(1, c.bootTimeoutSeconds())),
                d.kvmProbeTimeout(), cap > 0 ? cap : d.maxGuestMemoryBytes());
    }

    /** {@code ${karaf.data}/vmlab/snapshots}: see {@link #snapshotDir()}. */
    static Path snapshotDirOf(BundleContext context) {
        return Path.of(prop(context, "karaf.data", System.getProperty("java.io.tmpdir") + "/vmlab-data"))
                .resolve("vmlab").resolve("snapshots").toAbsolutePath().normalize();
    }

    private static String prop(BundleContext context, String key, String dflt) {
        String v = context == null ? null : context.getProperty(key);
        if (v == null) {
            v = System.getProperty(key);
        }
        return v != null ? v : dflt;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** Destroys every VM (processes and run folders go with them); the backend stays usable. */
    @Override
    public void close() {
        for (QemuVm vm : new ArrayList<>(vms.values())) {
            try {
                vm.destroy();
            } catch (RuntimeException e) {
                LOG.warn("destroying VM '{}' failed: {}", vm.id(), e.toString());
            }
        }
    }

    public QemuSettings settings() {
        return requireSettings();
    }

    private QemuSettings requireSettings() {
        QemuSettings s = settings;
        if (s == null) {
            throw new VmlabException("the qemu backend is not configured (not activated)");
        }
        return s;
    }

    // ------------------------------------------------------------ accelerator

    private CompletableFuture<Accel> probeAsync() {
        synchronized (probeLock) {
            if (probe == null) {
                QemuSettings s = requireSettings();
                probe = CompletableFuture.supplyAsync(() -> AccelProbe.choose(s));
            }
            return probe;
        }
    }

    /** The accelerator guests run with (probing KVM once, bounded, the first time). */
    public Accel accelerator() {
        try {
            return probeAsync().get(requireSettings().kvmProbeTimeout().toMillis() + 10_000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            return new Accel("tcg", "KVM probe did not finish: " + e);
        }
    }

    // ------------------------------------------------------------ VmBackend

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Vm create(VmSpec spec) {
        return launch(spec, false, false);
    }

    /**
     * A destination for a migration: QEMU started paused with {@code -incoming defer} and a fresh
     * (all zero) RAM file, which the engine fills through {@link QemuVm#memory()} before
     * {@link QemuVm#loadDeviceState} brings in QEMU's device state.
     */
    @Override
    public Vm prepareIncoming(VmSpec spec) {
        return launch(spec, true, true);
    }

    /**
     * A destination for QEMU's own migration (engine qemu-native): {@code -incoming defer}, RAM
     * received by QEMU itself; it starts running as soon as the migration completes unless
     * {@code startPaused}.
     */
    QemuVm prepareNativeIncoming(VmSpec spec, boolean startPaused) {
        return launch(spec, true, startPaused);
    }

    /**
     * A destination for QEMU's own migration arriving from another node through vmlab's tunnel:
     * QEMU started paused ({@code -S}) with {@code -incoming defer}, the source's capabilities and
     * parameters ({@code capability.<name>=true|false}, {@code parameter.<name>=<integer>}) set,
     * listening with {@code migrate-incoming tcp:127.0.0.1:<free port>}; only the receiver on this
     * node connects there. Destroyed again if any step fails.
     */
    @Override
    public Optional<NativeIncoming> prepareNativeIncoming(VmSpec spec, Map<String, String> hypervisorSettings) {
        QemuNativeIncoming.Settings s = QemuNativeIncoming.parse(Objects.requireNonNull(hypervisorSettings,
                "hypervisorSettings"));
        QemuVm vm = prepareNativeIncoming(spec, true);
        try {
            return Optional.of(QemuNativeIncoming.listen(vm, s));
        } catch (RuntimeException e) {
            vm.destroy();
            throw e;
        }
    }

    /**
     * Recreates a VM from a file {@link QemuVm#snapshot} wrote: QEMU started paused with
     * {@code -incoming defer} as for {@link #prepareIncoming}, its RAM filled from the file, then
     * QEMU's device state loaded; the VM is {@link VmState#CREATED} and {@link Vm#resume()} runs it
     * on where the snapshot was taken. Its id is the spec's name, or {@code <name>-restored} (then
     * {@code -restored-2}, ...) while that is taken. The file's checksums are verified before any
     * QEMU starts; a failure after that destroys the new VM, so nothing is left behind. A
     * relative path resolves against {@link #snapshotDir()}.
     */
    @Override
    public Vm restore(Path snapshotFile) {
        Objects.requireNonNull(snapshotFile, "snapshotFile");
        return QemuSnapshot.restore(this, resolveSnapshotPath(snapshotFile));
    }

    /** True iff the file starts with the qemu snapshot magic ({@code VMLABQMU}). */
    @Override
    public boolean recognizes(Path snapshotFile) {
        try {
            return snapshotFile != null && QemuSnapshot.hasMagic(resolveSnapshotPath(snapshotFile));
        } catch (RuntimeException e) {
            return false; // not configured: a relative path cannot be resolved
        }
    }

    /**
     * Where relative snapshot paths resolve: in Karaf {@code ${karaf.data}/vmlab/snapshots}, beside
     * the default run folders but not in the run root itself, which may be a tmpfs or the short
     * /tmp fallback for long paths, while snapshots must outlive a reboot; outside OSGi the folder
     * {@code snapshots} beside the run root.
     */
    public Path snapshotDir() {
        Path d = snapshotDir;
        if (d != null) {
            return d;
        }
        Path run = requireSettings().runRoot();
        return run.getParent() != null ? run.resolveSibling("snapshots") : run.resolve("snapshots");
    }

    Path resolveSnapshotPath(Path file) {
        return file.isAbsolute() ? file : snapshotDir().resolve(file);
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
        QemuSettings s = requireSettings();
        Accel a = accelerator();
        Map<String, String> d = new LinkedHashMap<>();
        d.put("acceleratorReason", a.reason());
        d.put("qemuVersion", a.qemuVersion());
        d.put("tcgRamPad", a.needsRamPad() ? TCG_RAM_PAD + " bytes per guest (QEMU < 9.0 TCG dirty-sync fix)" : "none");
        d.put("qemu", s.qemuBinary());
        d.put("runDir", s.runRoot().toString());
        d.put("kernel", s.kernel().toString());
        d.put("initrd", String.valueOf(s.initrd()));
        d.put("disk", String.valueOf(s.disk()));
        d.put("snapshotDir", snapshotDir().toString());
        d.put("vms", Integer.toString(vms.size()));
        d.put("memoryInUse", new ByteSize(memoryInUse()).toString());
        return new BackendInfo(NAME, a.name(), s.maxGuestMemoryBytes(), d);
    }

    public long memoryInUse() {
        long sum = 0;
        for (QemuVm vm : vms.values()) {
            sum += vm.spec().memoryBytes();
        }
        return sum;
    }

    // ------------------------------------------------------------ creation

    /**
     * A VM for {@link QemuSnapshot#restore}: like a migration destination, but named the spec's
     * name or a free {@code -restored} variant, and with the disk the snapshot says ({@code disk}
     * null for none; {@code copyDisk} to give the VM a private copy of it) instead of the
     * configured one, since QEMU's device state must find the same devices.
     */
    QemuVm launchRestored(VmSpec spec, Path disk, boolean copyDisk) {
        return launch(spec, true, true, new RestoreDisk(disk, copyDisk));
    }

    /** The disk of a VM being restored. */
    private record RestoreDisk(Path disk, boolean copy) {
    }

    private QemuVm launch(VmSpec spec, boolean incoming, boolean startPaused) {
        return launch(spec, incoming, startPaused, null);
    }

    private QemuVm launch(VmSpec spec, boolean incoming, boolean startPaused, RestoreDisk restoring) {
        Objects.requireNonNull(spec, "spec");
        if (!NAME.equals(spec.backend())) {
            throw new IllegalArgumentException("VM '" + spec.name() + "' is for backend '" + spec.backend()
                    + "', not '" + NAME + "'");
        }
        QemuSettings s = requireSettings();
        String who = "VM '" + spec.name() + "'";
        if (spec.memoryBytes() < MIN_MEMORY || spec.memoryBytes() % (1L << 20) != 0) {
            throw new VmlabException(who + " asks for " + new ByteSize(spec.memoryBytes())
                    + " of memory; qemu guests need a multiple of 1 MiB, at least 64 MiB");
        }
        if (!Files.isReadable(s.kernel())) {
            throw new VmlabException("the guest kernel " + s.kernel() + " is missing or unreadable: build the guest"
                    + " image (guest/build.sh) or set kernel/imageDir in org.vmlab.qemu");
        }
        if (s.initrd() != null && !Files.isReadable(s.initrd())) {
            throw new VmlabException("the guest initramfs " + s.initrd() + " is missing or unreadable: build the guest"
                    + " image (guest/build.sh) or set initrd/imageDir in org.vmlab.qemu");
        }
        String append = GuestCommandLine.of(spec, s.extraAppend());
        Path disk;
        boolean copy;
        if (restoring != null) {
            disk = restoring.disk();
            copy = restoring.copy();
        } else if (spec.diskImage() != null) {
            disk = ownDisk(spec);
            copy = false;
        } else {
            disk = s.disk();
            copy = disk != null;
            if (disk != null && !Files.isReadable(disk)) {
                throw new VmlabException("the guest disk image " + disk + " is missing; build the guest image or set disk=none");
            }
        }
        for (Path p : new Path[] {s.runRoot(), s.kernel(), s.initrd(), disk}) {
            if (p != null && (p.toString().contains(",") || p.toString().contains("'"))) {
                throw new VmlabException("path " + p + " contains ',' or a quote, which QEMU options cannot carry");
            }
        }
        String id;
        synchronized (createLock) {
            if (!incoming && (vms.containsKey(spec.name()) || reserved.contains(spec.name()))) {
                throw new VmlabException("a VM named '" + spec.name() + "' exists already");
            }
            id = restoring != null ? freeId(spec.name(), "restored")
                    : incoming ? freeId(spec.name(), "incoming") : spec.name();
            long inUse = memoryInUse() + reservedMemory;
            if (spec.memoryBytes() > s.maxGuestMemoryBytes() - inUse) {
                throw new VmlabException(who + " asks for " + new ByteSize(spec.memoryBytes())
                        + " of memory but the qemu backend allows " + new ByteSize(s.maxGuestMemoryBytes())
                        + " in all and " + new ByteSize(inUse) + " are in use");
            }
            reserved.add(id);
            reservedMemory += spec.memoryBytes();
        }
        try {
            return boot(s, id, spec, append, disk, copy, incoming, startPaused);
        } finally {
            synchronized (createLock) {
                reserved.remove(id);
                reservedMemory -= spec.memoryBytes();
            }
        }
    }

    private long reservedMemory;

    private String freeId(String name, String suffix) {
        if (!vms.containsKey(name) && !reserved.contains(name)) {
            return name;
        }
        String base = name.length() > 40 ? name.substring(0, 40) : name;
        for (int i = 1; ; i++) {
            String id = base + "-" + suffix + (i == 1 ? "" : "-" + i);
            if (!vms.containsKey(id) && !reserved.contains(id)) {
                return id;
            }
        }
    }

    /** A disk the spec names is the user's own: used in place (created sparse if asked). */
    private static Path ownDisk(VmSpec spec) {
        Path p = spec.diskImage().toAbsolutePath().normalize();
        try {
            if (!Files.exists(p)) {
                if (spec.diskBytes() == 0) {
                    throw new VmlabException("the disk image " + p + " of VM '" + spec.name()
                            + "' does not exist; give a disk size to create it");
                }
                try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                    f.setLength(spec.diskBytes());
                }
            } else if (!Files.isRegularFile(p) || !Files.isWritable(p)) {
                throw new VmlabException("the disk image " + p + " of VM '" + spec.name()
                        + "' is not a writable regular file");
            } else if (spec.diskBytes() > Files.size(p)) {
                try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                    f.setLength(spec.diskBytes());
                }
            }
        } catch (IOException e) {
            throw new VmlabException("cannot prepare the disk image " + p + " of VM '" + spec.name() + "': " + e, e);
        }
        return p;
    }

    private QemuVm boot(QemuSettings s, String id, VmSpec spec, String append, Path disk, boolean copy,
                        boolean incoming, boolean startPaused) {
        Accel accel = accelerator();
        Path runDir = s.runRoot().resolve(id);
        if (Files.exists(runDir)) {
            // A folder no live VM owns: a leftover that escaped reaping (e.g. written by a live JVM before).
            List<String> r = QemuProcess.reap(s.runRoot(), QemuVm.KILL_GRACE);
            if (Files.exists(runDir)) {
                throw new VmlabException("the run folder " + runDir + " of VM '" + id
                        + "' exists and belongs to another running platform");
            }
            LOG.info("reaped leftover run folders {}", r);
        }
        long t0 = System.nanoTime();
        long ramBytes = ramBytes(spec, accel);
        QemuProcess p = QemuProcess.start(s.qemuBinary(), runDir, new QemuProcess.Launch(id, ramBytes,
                spec.vcpus(), accel.name(), s.kernel(), s.initrd(), append, disk, copy, incoming, startPaused));
        QmpClient qmp = null;
        QemuGuestMemory mem = null;
        QemuVm vm = null;
        try {
            qmp = QmpClient.connect(id, p.qmpSocket(), Duration.ofSeconds(15));
            mem = QemuGuestMemory.map(id, p.ramFile(), ramBytes);
            vm = new QemuVm(this, id, spec, p, qmp, mem, accel.name(),
                    incoming ? VmState.MIGRATING : VmState.RUNNING, !incoming);
            vms.put(id, vm);
            if (!incoming) {
                awaitReady(s, vm);
                startWorkloadView(vm);
            }
            LOG.info("VM '{}' {} on qemu ({}) in {} ms", id, incoming ? "prepared for a migration" : "booted",
                    accel.name(), (System.nanoTime() - t0) / 1_000_000);
            return vm;
        } catch (RuntimeException | IOException e) {
            String tail = p.lastLines(5);
            if (vm != null) {
                vm.destroy();
            } else {
                if (qmp != null) {
                    qmp.close();
                }
                if (mem != null) {
                    mem.close();
                }
                p.kill(QemuVm.KILL_GRACE);
                QemuProcess.deleteRunDir(runDir);
            }
            if (e instanceof VmlabException v && v.getMessage().contains("console:")) {
                throw v;
            }
            throw new VmlabException("cannot create VM '" + id + "' on qemu: " + e.getMessage() + "; " + tail, e);
        }
    }

    private void awaitReady(QemuSettings s, QemuVm vm) {
        if (s.readyMarker().isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + s.bootTimeout().toNanos();
        ConsoleTail tail = new ConsoleTail(vm.process().consoleLog());
        while (true) {
            for (String line : tail.newLines()) {
                if (line.contains(s.readyMarker())) {
                    return;
                }
            }
            if (!vm.process().isAlive() || vm.state().isFinal()) {
                throw new VmlabException("QEMU of VM '" + vm.id() + "' ended during boot"
                        + (vm.failure() != null ? " (" + vm.failure() + ")" : "; " + vm.process().lastLines(8)));
            }
            if (System.nanoTime() > deadline) {
                throw new VmlabException("VM '" + vm.id() + "' did not print '" + s.readyMarker() + "' within "
                        + s.bootTimeout().toSeconds() + " s; " + vm.process().lastLines(8));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VmlabException("interrupted while VM '" + vm.id() + "' booted");
            }
        }
    }

    /** Starts the console-based workload view of a running (or just migrated) guest. */
    void startWorkloadView(QemuVm vm) {
        String w = vm.spec().workload();
        if (w != null && !GuestCommandLine.IDLE.equals(w)) {
            vm.setWorkloadRun(new ConsoleWorkloadRun(vm.id(), w, GuestCommandLine.effectiveParameters(vm.spec()),
                    vm.process().consoleLog()));
        }
    }

    void removed(QemuVm vm) {
        vms.remove(vm.id(), vm);
    }
}
