package org.vmlab.qemu;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.backend.support.vm.VmRegistry;

/**
 * Starting one guest's QEMU: its run folder, the process, the QMP session, the mapped RAM, and
 * (for a guest that boots rather than waits for a migration) its ready line. A failure at any step
 * undoes the steps before it and ends in one sentence with the console's last lines.
 */
final class GuestBoot {
    private static final Logger LOG = LoggerFactory.getLogger(GuestBoot.class);
    private static final Duration QMP_CONNECT = Duration.ofSeconds(15);

    private GuestBoot() {
    }

    /** A disk the spec names is the user's own: used in place (created sparse if asked). */
    static Path ownDisk(VmSpec spec) {
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

    /**
     * Boots {@code launch} and registers the VM under the reservation's id; a booting guest is
     * waited for until its ready line, then its workload view starts.
     */
    static QemuVm boot(QemuBackend backend, QemuSettings s, VmSpec spec, GuestCommandLine cmdline,
                       QemuProcess.Launch launch, VmRegistry<QemuVm>.Reservation reservation) {
        String id = launch.id();
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
        QemuProcess p = QemuProcess.start(s.qemuBinary(), runDir, launch);
        QmpClient qmp = null;
        QemuGuestMemory mem = null;
        QemuVm vm = null;
        try {
            qmp = QmpClient.connect(id, p.qmpSocket(), QMP_CONNECT);
            mem = QemuGuestMemory.map(id, p.ramFile(), launch.memoryBytes());
            vm = reservation.register(new QemuVm(backend, id, spec, p, qmp, mem, launch.accelerator(),
                    cmdline.workloadParameters(), launch.incoming() ? VmState.MIGRATING : VmState.RUNNING,
                    !launch.incoming()));
            if (!launch.incoming()) {
                awaitReady(s, vm);
                backend.startWorkloadView(vm);
            }
            LOG.info("VM '{}' {} on qemu ({}) in {} ms", id, launch.incoming() ? "prepared for a migration" : "booted",
                    launch.accelerator(), (System.nanoTime() - t0) / 1_000_000);
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

    private static void awaitReady(QemuSettings s, QemuVm vm) {
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
}
