package org.vmlab.qemu;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What QEMU tests need: the binary (tests are skipped with one message without it), a host kernel
 * (/boot/vmlinuz-*, from linux-image-amd64) and a throwaway busybox initramfs written here as a
 * newc cpio. This is test scaffolding only; the real guest image comes from guest/build.sh.
 */
final class QemuTestSupport {
    static final String QEMU = "qemu-system-x86_64";

    private QemuTestSupport() {
    }

    static boolean qemuInstalled() {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String d : path.split(":")) {
            if (Files.isExecutable(Path.of(d, QEMU))) {
                return true;
            }
        }
        return false;
    }

    static void assumeQemu() {
        assumeTrue(qemuInstalled(), QEMU + " is not installed (apt-get install qemu-system-x86): QEMU tests skipped");
    }

    /** The pids of QEMU processes whose command line names {@code runRoot}. */
    static List<Long> qemuPids(Path runRoot) {
        return ProcessHandle.allProcesses()
                .filter(h -> h.info().arguments().map(a -> String.join(" ", a).contains(runRoot.toString())).orElse(false))
                .map(ProcessHandle::pid).toList();
    }

    static Path kernel() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/boot"))) {
            Optional<Path> k = s.filter(p -> p.getFileName().toString().startsWith("vmlinuz-"))
                    .filter(Files::isReadable).max(Comparator.naturalOrder());
            return k.orElseThrow(() -> new IllegalStateException(
                    "no readable /boot/vmlinuz-*: apt-get install linux-image-amd64 to run the QEMU tests"));
        }
    }

    /** An initramfs whose init prints the ready line, then a numbered tick every 0.2 s. */
    static Path initramfs(Path dir) throws IOException {
        Path busybox = Path.of("/bin/busybox");
        if (!Files.isReadable(busybox)) {
            throw new IllegalStateException("no /bin/busybox: apt-get install busybox-static to run the QEMU tests");
        }
        String init = "#!/bin/busybox sh\n"
                + "/bin/busybox mount -t proc proc /proc\n"
                + "echo 'vmlab-guest: ready'\n"
                + "i=0\n"
                + "while true; do i=$((i+1)); echo \"tick $i\"; /bin/busybox usleep 200000; done\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Cpio c = new Cpio(out);
        c.dir("bin");
        c.dir("proc");
        c.dir("dev");
        c.file("bin/busybox", 0755, Files.readAllBytes(busybox));
        c.file("init", 0755, init.getBytes(StandardCharsets.US_ASCII));
        c.trailer();
        Path f = dir.resolve("initramfs.cpio");
        Files.write(f, out.toByteArray());
        return f;
    }

    static QemuSettings settings(Path dir) throws IOException {
        return new QemuSettings(QEMU, dir.resolve("run"), kernel(), initramfs(dir), null, "auto", "",
                QemuSettings.VMLAB_READY, Duration.ofSeconds(90), Duration.ofSeconds(6), 4L << 30);
    }

    /**
     * vmlab's guest image (guest/build.sh): {@code -Dvmlab.guest.image=<folder>}, else the
     * workspace's guest/target/image when it was built; empty if neither has a kernel and initramfs.
     */
    static Optional<Path> guestImage() {
        String prop = System.getProperty("vmlab.guest.image");
        Path dir = prop != null && !prop.isBlank() ? Path.of(prop)
                : Path.of("").toAbsolutePath().resolve("../../guest/target/image").normalize();
        boolean kernel = Files.isReadable(dir.resolve("vmlinuz")) || Files.isReadable(dir.resolve("vmlinux"));
        return kernel && Files.isReadable(dir.resolve("initramfs.img")) ? Optional.of(dir) : Optional.empty();
    }

    /** Waits until a file contains text. */
    static boolean waitFor(Path file, String text, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (Files.exists(file) && Files.readString(file, StandardCharsets.ISO_8859_1).contains(text)) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    /** newc cpio writer. */
    static final class Cpio {
        private final ByteArrayOutputStream out;
        private int ino = 1;

        Cpio(ByteArrayOutputStream out) {
            this.out = out;
        }

        void dir(String name) {
            entry(name, 0040755, new byte[0]);
        }

        void file(String name, int perm, byte[] data) {
            entry(name, 0100000 | perm, data);
        }

        void trailer() {
            entry("TRAILER!!!", 0, new byte[0]);
        }

        private void entry(String name, int mode, byte[] data) {
            byte[] n = (name + "\0").getBytes(StandardCharsets.US_ASCII);
            String h = String.format("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
                    ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, n.length, 0);
            out.writeBytes(h.getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(n);
            pad();
            out.writeBytes(data);
            pad();
        }

        private void pad() {
            while (out.size() % 4 != 0) {
                out.write(0);
            }
        }
    }
}
