package org.vmlab.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses KVM or TCG. A usable {@code /dev/kvm} is not enough (nested KVM has been seen to hang
 * guests at boot), so {@code auto} boots the configured kernel under KVM without an initramfs and
 * calls KVM usable only if the kernel gets as far as its "cannot mount root" panic within the
 * probe timeout ({@code -no-reboot} makes QEMU exit there). Anything else means TCG.
 */
final class AccelProbe {
    private static final Logger LOG = LoggerFactory.getLogger(AccelProbe.class);

    private AccelProbe() {
    }

    static Accel choose(QemuSettings s) {
        Accel a = decide(s).withVersion(version(s.qemuBinary()));
        LOG.info("qemu backend: accelerator {} ({}), QEMU {}{}", a.name(), a.reason(), a.qemuVersion(),
                a.needsRamPad() ? "; guests get " + Accel.TCG_RAM_PAD
                        + " bytes more RAM so QEMU's own migration keeps every TCG write" : "");
        return a;
    }

    /** {@code 7.2.22} from "QEMU emulator version 7.2.22 (Debian ...)"; empty if QEMU does not say. */
    static String version(String qemu) {
        Process p = null;
        try {
            p = new ProcessBuilder(qemu, "--version").redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readNBytes(4096);
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                return "";
            }
            return parseVersion(new String(out, java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        } finally {
            if (p != null) {
                p.destroyForcibly();
            }
        }
    }

    static String parseVersion(String versionOutput) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("version (\\d+\\.\\d+(?:\\.\\d+)?)")
                .matcher(versionOutput);
        return m.find() ? m.group(1) : "";
    }

    private static Accel decide(QemuSettings s) {
        switch (s.accelerator()) {
            case "tcg":
                return new Accel("tcg", "configured");
            case "kvm":
                return new Accel("kvm", "configured");
            default:
                break;
        }
        Path kvm = Path.of("/dev/kvm");
        if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
            return new Accel("tcg", "/dev/kvm is missing or not usable by this user");
        }
        if (!Files.isReadable(s.kernel())) {
            return new Accel("tcg", "KVM not probed: no guest kernel at " + s.kernel());
        }
        Path dir = null;
        Process p = null;
        long t0 = System.nanoTime();
        try {
            Files.createDirectories(s.runRoot());
            dir = Files.createTempDirectory(s.runRoot(), ".kvm-probe-");
            Path console = dir.resolve("console.log");
            p = new ProcessBuilder(List.of(s.qemuBinary(), "-machine", "q35,accel=kvm", "-m", "128M",
                    "-kernel", s.kernel().toString(), "-append", "console=ttyS0 panic=-1",
                    "-serial", "file:" + console, "-display", "none", "-nodefaults", "-no-user-config",
                    "-no-reboot"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("qemu.log").toFile()).start();
            boolean exited = p.waitFor(s.kvmProbeTimeout().toMillis(), TimeUnit.MILLISECONDS);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            String out = Files.exists(console) ? Files.readString(console, java.nio.charset.StandardCharsets.ISO_8859_1) : "";
            if (exited && (out.contains("Kernel panic") || out.contains("VFS:"))) {
                return new Accel("kvm", "a probe boot under KVM reached the kernel's root mount in " + ms + " ms");
            }
            return new Accel("tcg", exited
                    ? "a probe boot under KVM ended without reaching the kernel's root mount"
                    : "a probe boot under KVM did not reach the kernel's root mount within "
                            + s.kvmProbeTimeout().toMillis() + " ms (nested KVM hangs)");
        } catch (IOException e) {
            return new Accel("tcg", "KVM probe could not run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Accel("tcg", "KVM probe interrupted");
        } finally {
            if (p != null) {
                QemuProcess.killHandle(p.toHandle(), java.time.Duration.ofSeconds(2));
            }
            if (dir != null) {
                QemuProcess.deleteRunDir(dir);
            }
        }
    }
}
