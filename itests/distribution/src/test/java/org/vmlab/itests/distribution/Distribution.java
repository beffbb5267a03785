package org.vmlab.itests.distribution;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * An unpacked vmlab distribution in a scratch folder, driven through its own scripts. Everything
 * it starts is found again by pid and stopped, bounded in time.
 */
final class Distribution implements AutoCloseable {
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);

    final Path home;

    private Distribution(Path home) {
        this.home = home;
    }

    /** Unpacks {@code archive} into a fresh {@code workDir} (tar keeps the scripts' modes). */
    static Distribution unpack(Path archive, Path workDir) throws IOException, InterruptedException {
        if (!Files.isRegularFile(archive)) {
            throw new IllegalStateException("no distribution archive at " + archive + "; build karaf-dist first");
        }
        deleteTree(workDir);
        Files.createDirectories(workDir);
        Result untar = exec(List.of("tar", "xzf", archive.toString(), "-C", workDir.toString()), workDir, Duration.ofSeconds(60));
        if (untar.exit() != 0) {
            throw new IllegalStateException("tar failed: " + untar.stderr());
        }
        try (Stream<Path> s = Files.list(workDir)) {
            Distribution d = new Distribution(s.filter(Files::isDirectory).findFirst().orElseThrow());
            // Tests run several distributions at once: the NBD server (vmlab-storage) takes a free port, not 10809.
            Files.writeString(d.home.resolve("etc/org.vmlab.storage.cfg"), "port = 0\n");
            return d;
        }
    }

    record Result(int exit, String stdout, String stderr, long millis) {
    }

    /** Runs {@code bin/vmlab args...}. */
    Result vmlab(String... args) throws IOException, InterruptedException {
        return vmlabIn(home, args);
    }

    /** bin/vmlab run in directory {@code cwd}, as a user in another folder would. */
    Result vmlabIn(Path cwd, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(home.resolve("bin/vmlab").toString());
        cmd.addAll(List.of(args));
        return exec(cmd, cwd, COMMAND_TIMEOUT);
    }

    /** The control socket, as bin/vmlab locates it. */
    Path socket() throws IOException, InterruptedException {
        Result r = vmlab("--socket-path");
        if (r.exit() != 0) {
            throw new IllegalStateException("bin/vmlab --socket-path failed: " + r.stderr());
        }
        return Path.of(r.stdout().strip());
    }

    Result script(String name) throws IOException, InterruptedException {
        return exec(List.of(home.resolve("bin").resolve(name).toString()), home, Duration.ofSeconds(60));
    }

    /**
     * The guest image of {@code -Dvmlab.guest.image} for tests of real QEMU guests; skips the
     * calling test class, saying why, where QEMU or the image is missing.
     */
    static Path assumeQemuGuest() {
        Path image = Path.of(System.getProperty("vmlab.guest.image", "none"));
        boolean qemu = Stream.of(System.getenv("PATH").split(":"))
                .anyMatch(d -> Files.isExecutable(Path.of(d, "qemu-system-x86_64")));
        assumeTrue(qemu,
                "QEMU guest tests skipped: qemu-system-x86_64 is not installed (.ci/run installs qemu-system-x86)");
        assumeTrue(Files.isRegularFile(image.resolve("initramfs.img")),
                "QEMU guest tests skipped: no guest image at " + image + " (guest/build.sh makes it)");
        return image;
    }

    /** The QEMU processes of this instance (their command lines name its folder). */
    List<ProcessHandle> qemuProcesses() {
        String marker = home.toString();
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains("qemu-system") && c.contains(marker)).orElse(false))
                .toList();
    }

    /** The instance's JVM, found by its karaf.home and main class on its whole command line. */
    Optional<ProcessHandle> karafProcess() {
        String marker = "-Dkaraf.home=" + home + " ";
        return ProcessHandle.allProcesses()
                .filter(p -> commandLine(p).map(c -> c.contains(marker) && c.contains("org.apache.karaf.main.Main")).orElse(false))
                .findFirst();
    }

    /**
     * The whole command line: from /proc where there is one, since the JDK's
     * {@code ProcessHandle.Info.commandLine()} cuts it at 4 KiB, and a Karaf command line in a
     * deep folder is longer.
     */
    private static Optional<String> commandLine(ProcessHandle p) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
            return Optional.of(new String(raw, StandardCharsets.UTF_8).replace('\0', ' '));
        } catch (IOException | RuntimeException e) {
            return p.info().commandLine();
        }
    }

    /** bin/stop, then the JVM is waited for by pid and killed if it has not gone in time. */
    @Override
    public void close() throws Exception {
        Optional<ProcessHandle> karaf = karafProcess();
        if (karaf.isEmpty()) {
            return;
        }
        script("stop");
        ProcessHandle p = karaf.get();
        try {
            p.onExit().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            p.destroyForcibly();
            p.onExit().get(10, TimeUnit.SECONDS);
        }
    }

    static Result exec(List<String> cmd, Path dir, Duration timeout) throws IOException, InterruptedException {
        long start = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().put("VMLAB_START_TIMEOUT", "90");
        Process proc = pb.start();
        proc.getOutputStream().close();
        CompletableFuture<String> out = drain(proc.getInputStream());
        CompletableFuture<String> err = drain(proc.getErrorStream());
        if (!proc.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            proc.descendants().forEach(ProcessHandle::destroyForcibly);
            proc.destroyForcibly();
            throw new IllegalStateException(cmd + " did not finish within " + timeout);
        }
        return new Result(proc.exitValue(), out.join(), err.join(), (System.nanoTime() - start) / 1_000_000);
    }

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
