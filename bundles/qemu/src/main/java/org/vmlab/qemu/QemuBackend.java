package org.vmlab.qemu;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.ByteSize;
import org.vmlab.api.VmlabException;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.vm.BackendInfo;
import org.vmlab.api.vm.NativeIncoming;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmBackend;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.api.workload.Workload;
import org.vmlab.backend.support.config.BackendConfig;
import org.vmlab.backend.support.vm.AbstractVmBackend;
import org.vmlab.backend.support.vm.VmRegistry;

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
public class QemuBackend extends AbstractVmBackend<QemuVm, QemuSettings> {
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


    private volatile Path snapshotDir;
    /** The {@code memory} workload, whose parameters qemu guests take; null when not installed. */
    private final AtomicReference<Workload> memoryWorkload = new AtomicReference<>();
    private final Object probeLock = new Object();
    private CompletableFuture<Accel> probe;

    /** For DS: settings come with {@link #activate}. */
    public QemuBackend() {
        super(NAME, QemuSnapshot.FORMAT, null);
    }

    /** Outside OSGi: a backend with these settings; call {@link #start()} to reap leftovers. */
    public QemuBackend(QemuSettings settings) {
        super(NAME, QemuSnapshot.FORMAT, Objects.requireNonNull(settings, "settings"));
    }

    @Activate
    void activate(Config config, BundleContext context) {
        configure(QemuSettings.of(config, context));
        snapshotDir = snapshotDirOf(context);
        start();
    }

    /** New settings apply to VMs created from now on; running VMs are kept. */
    @Modified
    void modified(Config config, BundleContext context) {
        configure(QemuSettings.of(config, context));
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
        QemuSettings s = settings();
        List<String> reaped = QemuProcess.reap(s.runRoot(), QemuVm.KILL_GRACE);
        if (!reaped.isEmpty()) {
            LOG.info("qemu backend: reaped {} leftover run folder(s) in {}: {}", reaped.size(), s.runRoot(), reaped);
        }
        LOG.info("qemu backend: run folders in {}, kernel {}, accelerator setting {}", s.runRoot(), s.kernel(),
                s.accelerator());
        probeAsync();
        return reaped;
    }

    /** {@code ${karaf.data}/vmlab/snapshots}: see {@link #snapshotDir()}. */
    static Path snapshotDirOf(BundleContext context) {
        return BackendConfig.karafData(context).resolve("vmlab").resolve("snapshots").toAbsolutePath().normalize();
    }

    // ------------------------------------------------------------ the memory workload

    /**
     * The {@code memory} workload (workloads bundle) whose parameters qemu guests take, so a spec
     * means the same on both backends. Optional and dynamic: without it, idle guests still run.
     * Outside OSGi, call it with the workload to use.
     */
    @Reference(service = Workload.class, target = "(vmlab.name=" + GuestCommandLine.MEMORY + ")",
            cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindMemoryWorkload")
    public void bindMemoryWorkload(Workload workload) {
        memoryWorkload.set(Objects.requireNonNull(workload, "workload"));
    }

    void unbindMemoryWorkload(Workload workload) {
        memoryWorkload.compareAndSet(workload, null);
    }

    private Optional<List<Parameter>> memoryParameters() {
        return Optional.ofNullable(memoryWorkload.get()).map(Workload::parameters);
    }

    // ------------------------------------------------------------ accelerator

    private CompletableFuture<Accel> probeAsync() {
        synchronized (probeLock) {
            if (probe == null) {
                QemuSettings s = settings();
                probe = CompletableFuture.supplyAsync(() -> AccelProbe.choose(s));
            }
            return probe;
        }
    }

    /** The accelerator guests run with (probing KVM once, bounded, the first time). */
    public Accel accelerator() {
        try {
            return probeAsync().get(settings().kvmProbeTimeout().toMillis() + 10_000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            return new Accel("tcg", "KVM probe did not finish: " + e);
        }
    }

    // ------------------------------------------------------------ VmBackend

    @Override
    public Vm create(VmSpec spec) {
        return launch(spec, false, false, null);
    }

    /**
     * A destination for a migration: QEMU started paused with {@code -incoming defer} and a fresh
     * (all zero) RAM file, which the engine fills through {@link QemuVm#memory()} before
     * {@link QemuVm#loadDeviceState} brings in QEMU's device state.
     */
    @Override
    public Vm prepareIncoming(VmSpec spec) {
        return launch(spec, true, true, null);
    }

    /**
     * A destination for QEMU's own migration (engine qemu-native): {@code -incoming defer}, RAM
     * received by QEMU itself; it starts running as soon as the migration completes unless
     * {@code startPaused}.
     */
    QemuVm prepareNativeIncoming(VmSpec spec, boolean startPaused) {
        return launch(spec, true, startPaused, null);
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
    protected Vm restoreFrom(Path file) {
        return QemuSnapshot.restore(this, file);
    }

    @Override
    protected Path snapshotFolder() {
        return snapshotDir();
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
        Path run = settings().runRoot();
        return run.getParent() != null ? run.resolveSibling("snapshots") : run.resolve("snapshots");
    }

    @Override
    public BackendInfo info() {
        QemuSettings s = settings();
        Accel a = accelerator();
        Map<String, String> d = new LinkedHashMap<>();
        d.put("acceleratorReason", a.reason());
        d.put("qemuVersion", a.qemuVersion());
        d.put("tcgRamPad", a.needsRamPad() ? Accel.TCG_RAM_PAD + " bytes per guest (QEMU < 9.0 TCG dirty-sync fix)" : "none");
        d.put("qemu", s.qemuBinary());
        d.put("runDir", s.runRoot().toString());
        d.put("kernel", s.kernel().toString());
        d.put("initrd", String.valueOf(s.initrd()));
        d.put("disk", String.valueOf(s.disk()));
        d.put("snapshotDir", snapshotDir().toString());
        d.put("vms", Integer.toString(registry().size()));
        d.put("memoryInUse", new ByteSize(memoryInUse()).toString());
        return new BackendInfo(NAME, a.name(), s.maxGuestMemoryBytes(), d);
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

    private QemuVm launch(VmSpec spec, boolean incoming, boolean startPaused, RestoreDisk restoring) {
        Objects.requireNonNull(spec, "spec");
        if (!NAME.equals(spec.backend())) {
            throw new IllegalArgumentException("VM '" + spec.name() + "' is for backend '" + spec.backend()
                    + "', not '" + NAME + "'");
        }
        QemuSettings s = settings();
        if (spec.memoryBytes() < MIN_MEMORY || spec.memoryBytes() % (1L << 20) != 0) {
            throw new VmlabException("VM '" + spec.name() + "' asks for " + new ByteSize(spec.memoryBytes())
                    + " of memory; qemu guests need a multiple of 1 MiB, at least 64 MiB");
        }
        if (!Files.isReadable(s.kernel())) {
            throw new VmlabException("the guest kernel " + s.kernel() + " is missing or unreadable: install the guest"
                    + " image (bin/vmlab-guest-image in a distribution, guest/build.sh in the source tree) and restart,"
                    + " or set kernel/imageDir in org.vmlab.qemu");
        }
        if (s.initrd() != null && !Files.isReadable(s.initrd())) {
            throw new VmlabException("the guest initramfs " + s.initrd() + " is missing or unreadable: install the guest"
                    + " image (bin/vmlab-guest-image in a distribution, guest/build.sh in the source tree) and restart,"
                    + " or set initrd/imageDir in org.vmlab.qemu");
        }
        GuestCommandLine cmdline = GuestCommandLine.of(spec, s.extraAppend(), memoryParameters());
        Path disk;
        boolean copy;
        if (restoring != null) {
            disk = restoring.disk();
            copy = restoring.copy();
        } else if (spec.diskImage() != null) {
            disk = GuestBoot.ownDisk(spec);
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
        String idSuffix = restoring != null ? "restored" : incoming ? "incoming" : null;
        try (VmRegistry<QemuVm>.Reservation r = registry().reserve(spec, idSuffix, s.maxGuestMemoryBytes())) {
            Accel accel = accelerator();
            return GuestBoot.boot(this, s, spec, cmdline, new QemuProcess.Launch(r.id(),
                    accel.ramBytes(spec.memoryBytes()), spec.vcpus(), accel.name(), s.kernel(), s.initrd(),
                    cmdline.kernelOptions(), disk, copy, incoming, startPaused), r);
        }
    }

    /** Starts the console-based workload view of a running (or just migrated) guest. */
    void startWorkloadView(QemuVm vm) {
        String w = vm.spec().workload();
        if (w != null && !GuestCommandLine.IDLE.equals(w)) {
            vm.attachWorkload(new ConsoleWorkloadRun(vm.id(), w, vm.workloadParameters(), vm.process().consoleLog()));
        }
    }
}
