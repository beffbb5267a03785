package org.vmlab.qemu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.VmlabException;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.api.workload.InvariantResult;
import org.vmlab.api.workload.WorkloadRun;
import org.vmlab.backend.support.snapshot.SnapshotFormat;
import org.vmlab.backend.support.snapshot.SnapshotReader;
import org.vmlab.workloads.MemoryWorkload;

/** vm:snapshot / vm:restore on real QEMU guests (TCG): round trips, and damaged files that create nothing. */
class QemuSnapshotTest {
    private static final Duration T = Duration.ofSeconds(10);
    private static final long MEM = 128L << 20;
    private static final Pattern TICK = Pattern.compile("tick (\\d+)");

    @TempDir
    Path dir;

    @BeforeAll
    static void qemu() {
        QemuTestSupport.assumeQemu();
    }

    private static void assertNothingLeft(QemuBackend b, QemuSettings s) throws IOException {
        assertEquals(List.of(), b.vms());
        assertEquals(List.of(), QemuTestSupport.qemuPids(s.runRoot()));
        if (Files.isDirectory(s.runRoot())) {
            try (Stream<Path> l = Files.list(s.runRoot())) {
                assertEquals(List.of(), l.toList(), "run folders left behind");
            }
        }
    }

    /** The highest "tick N" on a console, or -1. */
    private static int lastTick(Path console) throws IOException {
        if (!Files.exists(console)) {
            return -1;
        }
        Matcher m = TICK.matcher(Files.readString(console, StandardCharsets.ISO_8859_1));
        int last = -1;
        while (m.find()) {
            last = Math.max(last, Integer.parseInt(m.group(1)));
        }
        return last;
    }

    private static int awaitTickAbove(Path console, int floor, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        int t;
        while ((t = lastTick(console)) <= floor && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        return t;
    }

    private static Path copyWith(Path from, Path to, java.util.function.Consumer<byte[]> change) throws IOException {
        byte[] b = Files.readAllBytes(from);
        change.accept(b);
        Files.write(to, b);
        return to;
    }

    private static String restoreFails(QemuBackend b, Path file) {
        return assertThrows(VmlabException.class, () -> b.restore(file)).getMessage();
    }

    /**
     * The busybox test guest counting ticks, with a disk of its own: snapshot (relative path),
     * destroy, restore, resume, and the count goes on from where the snapshot was taken; damaged,
     * foreign and mismatching files fail with one sentence and leave no VM, QEMU or run folder.
     */
    @Test
    void tickingGuestContinuesAndDamagedFilesCreateNothing() throws Exception {
        QemuSettings s = QemuTestSupport.settings(dir).withAccelerator("tcg");
        QemuBackend b = new QemuBackend(s);
        b.start();
        try {
            Path ownDisk = dir.resolve("own.img");
            QemuVm vm = (QemuVm) b.create(VmSpec.of("tick", "qemu", MEM).withVcpus(1).withDisk(ownDisk, 4L << 20));
            Path console = vm.process().consoleLog();
            assertTrue(awaitTickAbove(console, 2, Duration.ofSeconds(30)) > 2, vm.process().lastLines(5));

            int before = lastTick(console);
            long t0 = System.nanoTime();
            vm.snapshot(Path.of("t.snap"));
            long snapMs = (System.nanoTime() - t0) / 1_000_000;
            int after = lastTick(console);
            Path file = b.snapshotDir().resolve("t.snap");
            assertEquals(dir.resolve("snapshots").resolve("t.snap"), file);
            System.out.println("snapshot of an idle " + (MEM >> 20) + " MiB guest: " + Files.size(file)
                    + " bytes in " + snapMs + " ms");
            try (Stream<Path> l = Files.list(file.getParent())) {
                assertEquals(List.of(file), l.toList(), "no temp file left beside the snapshot");
            }
            assertEquals(VmState.RUNNING, vm.state(), "a running VM runs again after its snapshot");
            assertTrue(awaitTickAbove(console, after, Duration.ofSeconds(20)) > after, "it really runs");
            assertTrue(b.recognizes(file));
            assertTrue(b.recognizes(Path.of("t.snap")));
            vm.destroy();
            assertNothingLeft(b, s);

            // Damaged and foreign files: one sentence each, checked before any QEMU starts.
            long size = Files.size(file);
            Path flipped = copyWith(file, dir.resolve("flipped.snap"), x -> x[x.length / 2] ^= 0x40);
            assertTrue(restoreFails(b, flipped).contains("corrupted (checksum mismatch)"), restoreFails(b, flipped));
            assertTrue(b.recognizes(flipped), "the magic is intact");
            Path header = copyWith(file, dir.resolve("header.snap"), x -> x[30] ^= 1);
            assertTrue(restoreFails(b, header).contains("header is corrupted"), restoreFails(b, header));
            Path cut = dir.resolve("cut.snap");
            try (OutputStream o = Files.newOutputStream(cut)) {
                o.write(Files.readAllBytes(file), 0, (int) (size / 2));
            }
            assertTrue(restoreFails(b, cut).contains("truncated"), restoreFails(b, cut));
            Path stub = dir.resolve("stub.snap");
            Files.write(stub, new byte[] {'V', 'M', 'L', 'A', 'B', 'Q', 'M', 'U', 0, 0});
            assertTrue(restoreFails(b, stub).contains("truncated"), restoreFails(b, stub));
            Path emu = dir.resolve("emu.snap");
            Files.write(emu, "VMLABEMU and then whatever an emu snapshot holds".getBytes(StandardCharsets.US_ASCII));
            assertTrue(restoreFails(b, emu).contains("not a qemu snapshot"), restoreFails(b, emu));
            assertFalse(b.recognizes(emu));
            Path junk = Files.writeString(dir.resolve("junk.snap"), "not a snapshot at all");
            assertTrue(restoreFails(b, junk).contains("not a qemu snapshot"), restoreFails(b, junk));
            assertFalse(b.recognizes(junk));
            assertFalse(b.recognizes(dir.resolve("missing.snap")));
            assertTrue(restoreFails(b, dir.resolve("missing.snap")).contains("does not exist"));
            assertNothingLeft(b, s);

            // A RAM size other than what a new guest gets: found only once QEMU runs, which then goes.
            Path bigger = dir.resolve("bigger.snap");
            try (SnapshotReader r = QemuSnapshot.FORMAT.open(file);
                 FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                QemuSnapshotHeader h = r.header(QemuSnapshotHeader::decode);
                long body = r.bodyStart();
                byte[] enc = SnapshotFormat.encode(h.withRamBytes(h.ramBytes() + 8192)::encode);
                try (FileChannel out = FileChannel.open(bigger, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    out.write(java.nio.ByteBuffer.wrap(QemuSnapshot.FORMAT.preamble(enc.length)));
                    out.write(java.nio.ByteBuffer.wrap(enc));
                    out.write(java.nio.ByteBuffer.allocate(8).putLong(0, QemuSnapshot.FORMAT.headerCrc(enc)));
                    ch.transferTo(body, ch.size() - body, out);
                }
            }
            String msg = restoreFails(b, bigger);
            assertTrue(msg.contains("bytes of guest RAM"), msg);
            assertNothingLeft(b, s);

            // The disk the spec names must still be there, at its size.
            try (RandomAccessFile f = new RandomAccessFile(ownDisk.toFile(), "rw")) {
                f.setLength(8L << 20);
            }
            msg = restoreFails(b, file);
            assertTrue(msg.contains("needs the disk image") && msg.contains("now has"), msg);
            try (RandomAccessFile f = new RandomAccessFile(ownDisk.toFile(), "rw")) {
                f.setLength(4L << 20);
            }
            assertNothingLeft(b, s);

            // The real thing.
            t0 = System.nanoTime();
            QemuVm r = (QemuVm) b.restore(Path.of("t.snap"));
            System.out.println("restore: " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            assertEquals("tick", r.id());
            assertEquals(vm.spec(), r.spec());
            assertEquals(VmState.CREATED, r.state());
            assertEquals("paused", r.qmp().execute("query-status", null, T).get("status"));
            Path rc = r.process().consoleLog();
            Thread.sleep(500);
            assertEquals(-1, lastTick(rc), "a restored VM waits for resume");

            // Restoring again while "tick" lives gives a free id.
            QemuVm again = (QemuVm) b.restore(file);
            assertEquals("tick-restored", again.id());
            again.destroy();

            // A restored VM not yet resumed can be snapshot again, and stays as it was.
            Path second = dir.resolve("second.snap");
            r.snapshot(second);
            assertEquals(VmState.CREATED, r.state());
            assertTrue(b.recognizes(second));

            r.resume();
            assertEquals(VmState.RUNNING, r.state());
            int first = awaitTickAbove(rc, -1, Duration.ofSeconds(20));
            assertTrue(first > before && first <= after + 1,
                    "the count goes on from the snapshot: ticks " + before + ".." + after + " then, " + first + " now");
            assertTrue(awaitTickAbove(rc, first, Duration.ofSeconds(20)) > first, "and keeps going");
            r.destroy();
        } finally {
            b.close();
        }
        assertNothingLeft(b, s);
    }

    /**
     * vmlab's guest image with vmlab-memwork on a private disk copy: the snapshot carries RAM,
     * device state and the disk copy; the restored guest passes the host's invariant scan (with
     * the run's nonce and page count carried over) and its own self-checks after resume.
     */
    @Test
    void memworkGuestSurvivesSnapshotDestroyRestore() throws Exception {
        Optional<Path> image = QemuTestSupport.guestImage();
        assumeTrue(image.isPresent(), "no guest image (guest/build.sh, or -Dvmlab.guest.image): skipped");
        QemuSettings s = QemuSettings.defaults(dir, image.get()).withRunRoot(dir.resolve("run")).withAccelerator("tcg");
        assumeTrue(s.disk() != null, "the guest image has no disk.img");
        QemuBackend b = new QemuBackend(s);
        b.bindMemoryWorkload(new MemoryWorkload());
        b.start();
        try {
            QemuVm vm = (QemuVm) b.create(VmSpec.of("mw", "qemu", MEM).withWorkload("memory",
                    Map.of("working-set", "16M", "rate", "4M", "check", "1")));
            WorkloadRun run = vm.workload().orElseThrow();
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (run.samples().size() < 2 && System.nanoTime() < end) {
                Thread.sleep(200);
            }
            assertTrue(run.samples().size() >= 2, "rate lines: " + vm.process().lastLines(5));
            MemworkInvariant.Expected expected = ((ConsoleWorkloadRun) run).expected().orElseThrow();

            // Something the guest never wrote, in the last block of its private disk copy.
            Path diskCopy = vm.process().runDir().resolve("disk.img");
            byte[] marker = "vmlab snapshot disk marker".getBytes(StandardCharsets.US_ASCII);
            long markAt = Files.size(diskCopy) - Pages.SIZE;
            try (RandomAccessFile f = new RandomAccessFile(diskCopy.toFile(), "rw")) {
                f.seek(markAt);
                f.write(marker);
            }

            Path file = dir.resolve("out").resolve("mw.snap");
            long t0 = System.nanoTime();
            vm.snapshot(file);
            System.out.println("snapshot of a memwork guest: " + Files.size(file) + " bytes in "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
            assertEquals(VmState.RUNNING, vm.state());
            assertTrue(Files.size(file) < MEM, "zero pages and blocks are left out: " + Files.size(file));
            vm.destroy();
            assertEquals(List.of(), QemuTestSupport.qemuPids(s.runRoot()));

            t0 = System.nanoTime();
            QemuVm r = (QemuVm) b.restore(file);
            System.out.println("restore: " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            assertEquals("mw", r.id());
            assertEquals(VmState.CREATED, r.state());
            try (RandomAccessFile f = new RandomAccessFile(r.process().runDir().resolve("disk.img").toFile(), "r")) {
                byte[] got = new byte[marker.length];
                f.seek(markAt);
                f.readFully(got);
                assertArrayEquals(marker, got, "the disk copy came with the snapshot");
                assertEquals(Files.size(s.disk()), f.length());
            }
            ConsoleWorkloadRun rrun = (ConsoleWorkloadRun) r.workload().orElseThrow();
            assertEquals(Optional.of(expected), rrun.expected(), "the run's nonce and page count came along");
            InvariantResult atRestore = rrun.invariant().orElseThrow().check(r.memory());
            System.out.println("invariant after restore: " + atRestore);
            assertTrue(atRestore.holds(), atRestore.detail());
            assertTrue(atRestore.pagesChecked() >= 16 * 256, atRestore.detail());

            r.resume();
            assertEquals(VmState.RUNNING, r.state());
            Path rc = r.process().consoleLog();
            assertTrue(QemuTestSupport.waitFor(rc, "vmlab-memwork: check ok", Duration.ofSeconds(60)),
                    "memwork self-checks pass after the restore: " + r.process().lastLines(5));
            end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (rrun.samples().isEmpty() && System.nanoTime() < end) {
                Thread.sleep(200);
            }
            assertFalse(rrun.samples().isEmpty(), "the console workload view goes on: " + r.process().lastLines(5));
            r.pause();
            InvariantResult later = rrun.invariant().orElseThrow().check(r.memory());
            assertTrue(later.holds(), later.detail());
            assertTrue(later.steps() > atRestore.steps(), "the guest wrote on: " + atRestore + " then " + later);
            assertFalse(Files.readString(rc, StandardCharsets.ISO_8859_1).contains("FAILED"));
            r.destroy();
        } finally {
            b.close();
        }
        assertEquals(List.of(), QemuTestSupport.qemuPids(s.runRoot()));
        try (Stream<Path> l = Files.list(s.runRoot())) {
            assertEquals(List.of(), l.toList());
        }
    }
}
