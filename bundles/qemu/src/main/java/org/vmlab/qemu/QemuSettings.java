package org.vmlab.qemu;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import org.osgi.framework.BundleContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.backend.support.config.BackendConfig;

/**
 * How a {@link QemuBackend} runs QEMU.
 *
 * @param qemuBinary          the {@code qemu-system-x86_64} to run (a name is looked up on PATH)
 * @param runRoot             folder of the per-VM run folders (RAM file, QMP socket, console log,
 *                            pid file); everything in it belongs to this backend and leftovers
 *                            of a crashed platform are reaped at start
 * @param kernel              the guest kernel
 * @param initrd              the guest initramfs, or null for none
 * @param disk                the default raw disk image each VM gets a private copy of, or null
 * @param accelerator         {@code auto} (probe KVM, else TCG), {@code kvm} or {@code tcg}
 * @param extraAppend         extra kernel command line options (may be empty)
 * @param readyMarker         the console line that says the guest is up ({@code vmlab-guest:
 *                            ready} for vmlab's image); empty to not wait for one
 * @param bootTimeout         how long creation waits for the ready marker
 * @param kvmProbeTimeout     how long the KVM probe boot may take before KVM counts as unusable
 * @param maxGuestMemoryBytes the most guest memory all qemu VMs together may have
 */
public record QemuSettings(String qemuBinary, Path runRoot, Path kernel, Path initrd, Path disk,
                           String accelerator, String extraAppend, String readyMarker,
                           Duration bootTimeout, Duration kvmProbeTimeout, long maxGuestMemoryBytes) {
    private static final Logger LOG = LoggerFactory.getLogger(QemuSettings.class);

    /** What vmlab's guest image prints on its console once its init is up. */
    public static final String VMLAB_READY = "vmlab-guest: ready";

    public QemuSettings {
        Objects.requireNonNull(qemuBinary, "qemuBinary");
        if (qemuBinary.isBlank()) {
            throw new IllegalArgumentException("qemuBinary is blank");
        }
        runRoot = Objects.requireNonNull(runRoot, "runRoot").toAbsolutePath().normalize();
        kernel = Objects.requireNonNull(kernel, "kernel").toAbsolutePath().normalize();
        initrd = initrd == null ? null : initrd.toAbsolutePath().normalize();
        disk = disk == null ? null : disk.toAbsolutePath().normalize();
        accelerator = accelerator == null || accelerator.isBlank() ? "auto"
                : accelerator.trim().toLowerCase(Locale.ROOT);
        if (!accelerator.equals("auto") && !accelerator.equals("kvm") && !accelerator.equals("tcg")) {
            throw new IllegalArgumentException("accelerator must be auto, kvm or tcg, not '" + accelerator + "'");
        }
        extraAppend = extraAppend == null ? "" : extraAppend.trim();
        if (extraAppend.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("extraAppend must be one line");
        }
        readyMarker = readyMarker == null ? "" : readyMarker;
        Objects.requireNonNull(bootTimeout, "bootTimeout");
        Objects.requireNonNull(kvmProbeTimeout, "kvmProbeTimeout");
        if (bootTimeout.isNegative() || bootTimeout.isZero()) {
            throw new IllegalArgumentException("bootTimeout must be > 0: " + bootTimeout);
        }
        if (maxGuestMemoryBytes <= 0) {
            throw new IllegalArgumentException("maxGuestMemoryBytes must be > 0: " + maxGuestMemoryBytes);
        }
    }

    /**
     * The defaults over a guest image folder (as {@code guest/build.sh} writes it: vmlinux or
     * vmlinuz, initramfs.img, disk.img): run folders in {@code karafData/vmlab/qemu}, wait for vmlab's
     * ready line, 120 s boot timeout, 8 s KVM probe, memory cap 50% of physical RAM.
     */
    public static QemuSettings defaults(Path karafData, Path imageDir) {
        Path disk = imageDir.resolve("disk.img");
        // The uncompressed kernel when the image has one: TCG boots it 10+ s faster (no decompression).
        Path vmlinux = imageDir.resolve("vmlinux");
        Path kernel = Files.isRegularFile(vmlinux) ? vmlinux : imageDir.resolve("vmlinuz");
        return new QemuSettings("qemu-system-x86_64", socketSafe(karafData.resolve("vmlab").resolve("qemu")),
                kernel, imageDir.resolve("initramfs.img"),
                Files.exists(disk) ? disk : null, "auto", "", VMLAB_READY,
                Duration.ofSeconds(120), Duration.ofSeconds(8), defaultMaxGuestMemory());
    }

    /** Room a run root must leave for {@code /<vm id>/agent.sock} with ids of up to 40 characters. */
    private static final int RUN_FOLDER_RESERVE = 1 + 40 + "/agent.sock".length();

    /**
     * {@code preferred}, or, where it is too long for the Unix sockets QEMU opens in each run
     * folder, a short owner-only folder in /tmp named after it (the same one on every start, so a
     * restart still reaps what a crashed instance left there).
     */
    static Path socketSafe(Path preferred) {
        Path abs = preferred.toAbsolutePath().normalize();
        if (abs.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length + RUN_FOLDER_RESERVE
                <= QemuProcess.MAX_SOCKET_PATH) {
            return abs;
        }
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_.-]", "_");
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(abs.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return Path.of("/tmp", "vmlab-" + user, // not java.io.tmpdir: Karaf points that into data/
                    "q-" + java.util.HexFormat.of().formatHex(d, 0, 6));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** The settings of a configuration; a blank setting takes the default of {@link #defaults}. */
    static QemuSettings of(QemuBackend.Config c, BundleContext context) {
        Path karafHome = Path.of(BackendConfig.property(context, "karaf.home", "."));
        Path image = blank(c.imageDir()) ? karafHome.resolve("guest").resolve("image") : Path.of(c.imageDir().trim());
        QemuSettings d = defaults(BackendConfig.karafData(context), image);
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
                d.kvmProbeTimeout(), BackendConfig.size(c.maxGuestMemory(), d.maxGuestMemoryBytes(),
                        "org.vmlab.qemu maxGuestMemory", LOG));
    }

    private static boolean blank(String s) {
        return BackendConfig.blank(s);
    }

    public QemuSettings withRunRoot(Path runRoot) {
        return new QemuSettings(qemuBinary, runRoot, kernel, initrd, disk, accelerator, extraAppend,
                readyMarker, bootTimeout, kvmProbeTimeout, maxGuestMemoryBytes);
    }

    public QemuSettings withAccelerator(String accelerator) {
        return new QemuSettings(qemuBinary, runRoot, kernel, initrd, disk, accelerator, extraAppend,
                readyMarker, bootTimeout, kvmProbeTimeout, maxGuestMemoryBytes);
    }

    public QemuSettings withDisk(Path disk) {
        return new QemuSettings(qemuBinary, runRoot, kernel, initrd, disk, accelerator, extraAppend,
                readyMarker, bootTimeout, kvmProbeTimeout, maxGuestMemoryBytes);
    }

    /** Half the physical RAM (QEMU needs memory of its own besides the guest's), 1 GiB if unknown. */
    static long defaultMaxGuestMemory() {
        long ram = BackendConfig.physicalMemory();
        return ram > 0 ? Math.max(4096, (ram / 2) & ~4095L) : 1L << 30;
    }
}
