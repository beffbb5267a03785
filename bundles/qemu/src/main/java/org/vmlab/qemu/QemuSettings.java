package org.vmlab.qemu;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

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
     * The defaults over a guest image folder (as {@code guest/build.sh} writes it: vmlinuz,
     * initramfs.img, disk.img): run folders in {@code karafData/vmlab/qemu}, wait for vmlab's
     * ready line, 120 s boot timeout, 8 s KVM probe, memory cap 50% of physical RAM.
     */
    public static QemuSettings defaults(Path karafData, Path imageDir) {
        Path disk = imageDir.resolve("disk.img");
        return new QemuSettings("qemu-system-x86_64", karafData.resolve("vmlab").resolve("qemu"),
                imageDir.resolve("vmlinuz"), imageDir.resolve("initramfs.img"),
                Files.exists(disk) ? disk : null, "auto", "", VMLAB_READY,
                Duration.ofSeconds(120), Duration.ofSeconds(8), defaultMaxGuestMemory());
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
        long ram = -1;
        try {
            java.lang.management.OperatingSystemMXBean os =
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
                ram = sun.getTotalMemorySize();
            }
        } catch (LinkageError e) {
            // com.sun.management not visible to this bundle
        }
        return ram > 0 ? Math.max(4096, (ram / 2) & ~4095L) : 1L << 30;
    }
}
