package org.vmlab.qemu;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;

/**
 * One QEMU process and its run folder ({@code ram}, {@code qmp.sock}, {@code console.log},
 * {@code qemu.pid}, {@code owner}, {@code agent.sock}, {@code qemu.log}, the VM's disk copy).
 * Starting writes the {@code owner} file first, so a folder of a crashed platform can always be
 * recognised; {@link #kill} and {@link #deleteRunDir} are bounded in time and idempotent.
 */
public final class QemuProcess {
    private static final Logger LOG = LoggerFactory.getLogger(QemuProcess.class);

    static final String OWNER = "owner";
    static final String OWNER_MAGIC = "vmlab-qemu run folder";
    /** sun_path is 108 bytes including the terminating NUL. */
    static final int MAX_SOCKET_PATH = 107;

    /** What to launch. */
    public record Launch(String id, long memoryBytes, int vcpus, String accelerator, Path kernel,
                         Path initrd, String append, Path disk, boolean copyDisk, boolean incoming,
                         boolean startPaused) {
        /** The disk QEMU opens: the private copy in the run folder, or {@code disk} itself. */
        Path diskIn(Path runDir) {
            return disk == null ? null : copyDisk ? runDir.resolve("disk.img") : disk;
        }
    }

    private final String id;
    private final Path runDir;
    private final Process process;

    private QemuProcess(String id, Path runDir, Process process) {
        this.id = id;
        this.runDir = runDir;
        this.process = process;
    }

    public Path runDir() {
        return runDir;
    }

    public Path ramFile() {
        return runDir.resolve("ram");
    }

    public Path qmpSocket() {
        return runDir.resolve("qmp.sock");
    }

    public Path consoleLog() {
        return runDir.resolve("console.log");
    }

    public Path qemuLog() {
        return runDir.resolve("qemu.log");
    }

    public long pid() {
        return process.pid();
    }

    public Process process() {
        return process;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** How many empty {@code pcie-root-port}s every guest has for hot-plugged devices. */
    static final int HOTPLUG_PORTS = 2;

    /** The QEMU id of hot-plug port {@code i} (0 to {@link #HOTPLUG_PORTS} - 1). */
    static String hotplugPort(int i) {
        return "vmlab-hp" + i;
    }

    /** The command line for {@code launch} in {@code runDir}. */
    static List<String> commandLine(String qemu, Path runDir, Launch l) {
        List<String> c = new ArrayList<>();
        c.add(qemu);
        c.add("-name");
        c.add("vmlab-" + l.id());
        c.add("-machine");
        c.add("q35,memory-backend=mem0,accel=" + l.accelerator());
        c.add("-object");
        c.add("memory-backend-file,id=mem0,size=" + l.memoryBytes() + ",mem-path="
                + runDir.resolve("ram") + ",share=on");
        c.add("-m");
        c.add((l.memoryBytes() >> 10) + "K"); // K, not M: the RAM may carry Accel.TCG_RAM_PAD
        c.add("-smp");
        c.add(Integer.toString(l.vcpus()));
        c.add("-kernel");
        c.add(l.kernel().toString());
        if (l.initrd() != null) {
            c.add("-initrd");
            c.add(l.initrd().toString());
        }
        c.add("-append");
        c.add(l.append());
        if (l.disk() != null) {
            c.add("-drive");
            // ',' in a path would split the option: refused in QemuBackend before we get here.
            c.add("file=" + l.diskIn(runDir) + ",format=raw,if=virtio");
        }
        c.add("-serial");
        c.add("file:" + runDir.resolve("console.log"));
        c.add("-qmp");
        c.add("unix:" + runDir.resolve("qmp.sock") + ",server=on,wait=off");
        c.add("-display");
        c.add("none");
        c.add("-nodefaults");
        c.add("-no-user-config");
        // A guest reboot or panic (panic=-1) ends QEMU, so it shows as a failed VM, not a loop.
        c.add("-no-reboot");
        c.add("-pidfile");
        c.add(runDir.resolve("qemu.pid").toString());
        // Empty PCIe slots for hot-plugged devices (QemuDeviceHotplug); q35's root bus takes none.
        for (int i = 0; i < HOTPLUG_PORTS; i++) {
            c.add("-device");
            c.add("pcie-root-port,id=" + hotplugPort(i) + ",chassis=" + (i + 1) + ",bus=pcie.0");
        }
        c.add("-device");
        c.add("virtio-serial");
        c.add("-chardev");
        c.add("socket,id=agent,path=" + runDir.resolve("agent.sock") + ",server=on,wait=off");
        c.add("-device");
        c.add("virtserialport,chardev=agent,name=org.vmlab.agent");
        if (l.startPaused()) {
            c.add("-S");
        }
        if (l.incoming()) {
            c.add("-incoming");
            c.add("defer");
        }
        return c;
    }

    /**
     * Creates {@code runDir} (owner-only), writes the owner file and a sparse RAM file, and starts
     * QEMU. The caller connects QMP and owns the process from here on.
     */
    static QemuProcess start(String qemu, Path runDir, Launch launch) {
        String longest = runDir.resolve("agent.sock").toString();
        if (longest.getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw new VmlabException("the run folder " + runDir + " of VM '" + launch.id()
                    + "' is too long for a Unix socket path (" + MAX_SOCKET_PATH
                    + " bytes at most); configure a shorter runDir for org.vmlab.qemu");
        }
        try {
            Files.createDirectories(runDir.getParent(), PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            String me = System.getProperty("user.name");
            String owner = Files.getOwner(runDir.getParent()).getName();
            if (me != null && !me.equals(owner)) {
                throw new VmlabException("the run folder root " + runDir.getParent() + " belongs to " + owner
                        + ", not to " + me + "; refusing to run VMs there");
            }
            Files.createDirectory(runDir, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new VmlabException("cannot create the run folder " + runDir + " of VM '"
                    + launch.id() + "': " + e, e);
        }
        Process p = null;
        try {
            Files.writeString(runDir.resolve(OWNER), OWNER_MAGIC + "\njvm=" + ProcessHandle.current().pid()
                    + "\nvm=" + launch.id() + "\ncreated=" + Instant.now() + "\n");
            try (RandomAccessFile f = new RandomAccessFile(runDir.resolve("ram").toFile(), "rw")) {
                f.setLength(launch.memoryBytes()); // sparse: an incoming VM starts all zero
            }
            if (launch.disk() != null && launch.copyDisk()) {
                copyDisk(launch.disk(), launch.diskIn(runDir));
            }
            List<String> cmd = commandLine(qemu, runDir, launch);
            LOG.debug("VM '{}': {}", launch.id(), String.join(" ", cmd));
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .directory(runDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(runDir.resolve("qemu.log").toFile());
            p = pb.start();
            return new QemuProcess(launch.id(), runDir, p);
        } catch (IOException e) {
            if (p != null) {
                p.destroyForcibly();
            }
            deleteRunDir(runDir);
            throw new VmlabException("cannot start " + qemu + " for VM '" + launch.id() + "': "
                    + e.getMessage(), e);
        }
    }

    /**
     * A private raw copy of the shared image: {@code cp --reflink=auto --sparse=always} shares
     * blocks where the file system can (instant on btrfs/XFS) and keeps holes elsewhere, so every
     * VM writes only its own file and the image stays pristine, in the raw format vmlab reads.
     */
    static void copyDisk(Path from, Path to) throws IOException {
        Process cp = new ProcessBuilder("cp", "--reflink=auto", "--sparse=always", from.toString(), to.toString())
                .redirectErrorStream(true).start();
        try {
            if (!cp.waitFor(300, TimeUnit.SECONDS)) {
                cp.destroyForcibly();
                throw new IOException("copying the disk image " + from + " took more than 300 s");
            }
            if (cp.exitValue() != 0) {
                throw new IOException("cannot copy the disk image " + from + ": "
                        + new String(cp.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
            }
        } catch (InterruptedException e) {
            cp.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while copying the disk image " + from);
        }
    }

    /**
     * Ends QEMU: SIGTERM, then SIGKILL after {@code grace}; waits at most {@code grace} more.
     *
     * @return whether it is gone
     */
    public boolean kill(Duration grace) {
        return killHandle(process.toHandle(), grace);
    }

    static boolean killHandle(ProcessHandle h, Duration grace) {
        if (!h.isAlive()) {
            return true;
        }
        h.destroy();
        try {
            h.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            h.destroyForcibly();
            try {
                h.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
                return true;
            } catch (Exception e2) {
                return !h.isAlive();
            }
        }
    }

    /** The last {@code n} lines of the console (and QEMU's own output), for error messages. */
    public String lastLines(int n) {
        StringBuilder sb = new StringBuilder();
        String console = tail(consoleLog(), n);
        if (!console.isBlank()) {
            sb.append("console: ").append(console.strip().replace("\n", " | "));
        }
        String own = tail(qemuLog(), 5);
        if (!own.isBlank()) {
            if (sb.length() > 0) {
                sb.append("; ");
            }
            sb.append("qemu: ").append(own.strip().replace("\n", " | "));
        }
        return sb.length() == 0 ? "no output" : sb.toString();
    }

    static String tail(Path file, int lines) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long len = f.length();
            int take = (int) Math.min(len, 8192);
            byte[] b = new byte[take];
            f.seek(len - take);
            f.readFully(b);
            String[] all = new String(b, StandardCharsets.UTF_8).replace("\r", "").split("\n");
            int from = Math.max(0, all.length - lines);
            return String.join("\n", java.util.Arrays.asList(all).subList(from, all.length));
        } catch (IOException e) {
            return "";
        }
    }

    /** Deletes a run folder and everything in it; logs what it cannot delete. */
    static void deleteRunDir(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.warn("cannot delete {}: {}", p, e.toString());
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot clean the run folder {}: {}", dir, e.toString());
        }
    }

    // ------------------------------------------------------------ reaping

    /**
     * Reaps what a crashed (or forgetful) platform left in {@code runRoot}: for each run folder
     * with a vmlab owner file whose owning JVM is gone or is this JVM, kills the QEMU of its pid
     * file, but only if {@code /proc/<pid>/cmdline} is a QEMU naming that folder (never an
     * unrelated process that reused the pid), then deletes the folder. Folders of another live
     * JVM, and anything without an owner file, are left alone.
     *
     * @return the run folders removed
     */
    static List<String> reap(Path runRoot, Duration grace) {
        List<String> reaped = new ArrayList<>();
        if (!Files.isDirectory(runRoot)) {
            return reaped;
        }
        List<Path> dirs;
        try (Stream<Path> s = Files.list(runRoot)) {
            dirs = s.filter(Files::isDirectory).toList();
        } catch (IOException e) {
            LOG.warn("cannot list {} for leftovers: {}", runRoot, e.toString());
            return reaped;
        }
        long self = ProcessHandle.current().pid();
        for (Path dir : dirs) {
            Optional<Long> owner = ownerJvm(dir);
            if (owner.isEmpty()) {
                continue;
            }
            long jvm = owner.get();
            if (jvm != self && ProcessHandle.of(jvm).map(ProcessHandle::isAlive).orElse(false)) {
                continue; // a live platform of its own
            }
            pidOf(dir).filter(pid -> isQemuOf(pid, dir)).flatMap(ProcessHandle::of).ifPresent(h -> {
                LOG.info("reaping QEMU pid {} left in {}", h.pid(), dir);
                if (!killHandle(h, grace)) {
                    LOG.warn("QEMU pid {} of {} did not die", h.pid(), dir);
                }
            });
            deleteRunDir(dir);
            reaped.add(dir.getFileName().toString());
        }
        return reaped;
    }

    static Optional<Long> ownerJvm(Path dir) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve(OWNER));
            if (lines.isEmpty() || !lines.get(0).equals(OWNER_MAGIC)) {
                return Optional.empty();
            }
            for (String l : lines) {
                if (l.startsWith("jvm=")) {
                    return Optional.of(Long.parseLong(l.substring(4).trim()));
                }
            }
            return Optional.of(-1L);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    static Optional<Long> pidOf(Path dir) {
        try {
            return Optional.of(Long.parseLong(Files.readString(dir.resolve("qemu.pid")).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Whether pid runs a qemu-system binary whose arguments name {@code dir}. */
    static boolean isQemuOf(long pid, Path dir) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            String[] args = new String(raw, StandardCharsets.UTF_8).split("\0");
            if (args.length == 0 || !Path.of(args[0]).getFileName().toString().startsWith("qemu-system")) {
                return false;
            }
            String marker = dir.toAbsolutePath().normalize() + "/";
            for (String a : args) {
                if (a.contains(marker)) {
                    return true;
                }
            }
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "QEMU pid " + process.pid() + " of VM '" + id + "'";
    }
}
