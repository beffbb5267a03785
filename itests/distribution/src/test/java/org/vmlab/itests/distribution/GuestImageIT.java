package org.vmlab.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A new user's way to QEMU guests: unpack the distribution, run {@code bin/vmlab-guest-image},
 * create a qemu VM. No cfg file is written or edited. Skipped, with one line saying why, where
 * QEMU or the packages the recipe needs are missing.
 */
@Timeout(600)
class GuestImageIT {
    private static final Duration BUILD_TIMEOUT = Duration.ofSeconds(300);
    private static Distribution dist;

    @BeforeAll
    static void unpack() throws Exception {
        assumeTrue(onPath("qemu-system-x86_64"),
                "guest image test skipped: qemu-system-x86_64 is not installed (.ci/run installs qemu-system-x86)");
        List<String> missing = Stream.of("gcc", "cpio", "mkfs.ext4").filter(t -> !onPath(t)).toList();
        assumeTrue(missing.isEmpty() && Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libc.a"))
                        && Files.isExecutable(Path.of("/bin/busybox")) && hasKernel(),
                "guest image test skipped: the recipe's Debian packages are missing (.ci/run installs them)");
        dist = Distribution.unpack(Path.of(System.getProperty("vmlab.dist.archive")),
                Path.of(System.getProperty("vmlab.work.dir") + "-image"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (dist != null) {
            dist.close();
            assertTrue(dist.karafProcess().isEmpty(), "the Karaf JVM is gone");
            assertTrue(dist.qemuProcesses().isEmpty(), "no QEMU of this instance is left");
        }
    }

    @Test
    void oneCommandInstallsTheImageWhereTheQemuBackendLooksAndAQemuVmRuns() throws Exception {
        Path image = dist.home.resolve("guest/image");
        Distribution.Result bad = imageCommand("--from", "/no/such/folder");
        assertEquals(1, bad.exit());
        assertEquals(List.of("Error: --from /no/such/folder: no such folder"), bad.stderr().lines().toList());
        assertEquals(2, imageCommand("--bogus").exit());

        Distribution.Result built = imageCommand();
        assertEquals(0, built.exit(), built.stdout() + built.stderr());
        assertTrue(built.stdout().contains("guest: built " + image), built.stdout());
        for (String f : List.of("vmlinuz", "initramfs.img", "disk.img", "manifest.json")) {
            assertTrue(Files.isRegularFile(image.resolve(f)), f + " in " + image);
        }
        Path sourceImage = Path.of(System.getProperty("vmlab.guest.image"));
        if (Files.isRegularFile(sourceImage.resolve("manifest.json"))) {
            assertEquals(inputHash(sourceImage), inputHash(image),
                    "the recipe shipped in the distribution is the source tree's: same input hash");
        }
        Distribution.Result again = imageCommand();
        assertEquals(0, again.exit(), again.stderr());
        assertTrue(again.stdout().contains("up to date"), again.stdout());

        assertFalse(Files.exists(dist.home.resolve("etc/org.vmlab.qemu.cfg")), "no qemu cfg file");
        Distribution.Result created = dist.vmlab("vm:create", "--backend", "qemu", "--memory", "256M", "--vcpus", "1",
                "--workload", "memory", "--param", "working-set=32M", "--param", "rate=8M", "g1");
        assertEquals(0, created.exit(), created.stdout() + created.stderr());
        List<ProcessHandle> qemu = dist.qemuProcesses();
        assertEquals(1, qemu.size(), "one QEMU: " + qemu);
        String commandLine = qemu.get(0).info().commandLine().orElse("");
        assertTrue(commandLine.contains("-kernel " + image.resolve("vmlinux"))
                || commandLine.contains("-kernel " + image.resolve("vmlinuz")), commandLine);
        Distribution.Result verified = dist.vmlab("vm:verify", "g1");
        assertEquals(0, verified.exit(), verified.stdout() + verified.stderr());
        assertEquals(0, dist.vmlab("vm:destroy", "g1").exit());

        // An image built elsewhere installs as well, replacing this one whole.
        if (Files.isRegularFile(sourceImage.resolve("initramfs.img"))) {
            Distribution.Result copied = imageCommand("--from", sourceImage.toString());
            assertEquals(0, copied.exit(), copied.stderr());
            assertTrue(copied.stdout().contains("installed the image of"), copied.stdout());
            assertEquals(Files.size(sourceImage.resolve("initramfs.img")), Files.size(image.resolve("initramfs.img")));
            assertTrue(copied.stderr().lines().noneMatch(l -> l.contains("restart")),
                    "a whole image was there when the instance started: no restart asked for: " + copied.stderr());
        }
    }

    private static Distribution.Result imageCommand(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(dist.home.resolve("bin/vmlab-guest-image").toString());
        cmd.addAll(List.of(args));
        return Distribution.exec(cmd, dist.home, BUILD_TIMEOUT);
    }

    private static String inputHash(Path image) throws Exception {
        return Files.readAllLines(image.resolve("manifest.json")).stream()
                .filter(l -> l.contains("\"input_sha256\"")).findFirst().orElse("none in " + image);
    }

    private static boolean onPath(String tool) {
        return Stream.of(System.getenv("PATH").split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    private static boolean hasKernel() {
        try (Stream<Path> boot = Files.list(Path.of("/boot"))) {
            return boot.anyMatch(p -> p.getFileName().toString().startsWith("vmlinuz-"));
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
