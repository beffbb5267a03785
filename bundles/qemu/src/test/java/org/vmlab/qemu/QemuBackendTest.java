package org.vmlab.qemu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertThrowsExactly;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.VmlabException;
import org.vmlab.api.memory.DirtyLog;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.workloads.MemoryWorkload;

/** Real QEMU guests (TCG here): boot, lifecycle, cleanup, reaping, dirty detection, device state. */
class QemuBackendTest {
    private static final Duration T = Duration.ofSeconds(10);
    private static final long MEM = 128L << 20;

    @TempDir
    Path dir;

    @BeforeAll
    static void qemu() {
        QemuTestSupport.assumeQemu();
    }

    @Test
    void bootPauseResumeDirtyLogDestroyLeaveNothing() throws Exception {
        QemuSettings s = QemuTestSupport.settings(dir);
        QemuBackend b = new QemuBackend(s);
        b.start();
        long t0 = System.nanoTime();
        QemuVm vm = (QemuVm) b.create(VmSpec.of("g1", "qemu", MEM));
        long bootMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("boot to ready line: " + bootMs + " ms under " + vm.accelerator()
                + " (" + b.accelerator().reason() + ")");
        try {
            assertEquals(VmState.RUNNING, vm.state());
            assertEquals(b.info().accelerator(), vm.accelerator());
            assertEquals((MEM + (b.accelerator().needsRamPad() ? Accel.TCG_RAM_PAD : 0)) / Pages.SIZE,
                    vm.memory().pageCount());
            assertEquals(vm.accelerator(), vm.details().get("accelerator"));
            assertEquals(Long.toString(vm.process().pid()), vm.details().get("qemuPid"));
            Path run = s.runRoot().resolve("g1");
            for (String f : new String[] {"ram", "qmp.sock", "console.log", "qemu.pid", "owner", "agent.sock"}) {
                assertTrue(Files.exists(run.resolve(f)), f);
            }
            assertEquals(1, QemuTestSupport.qemuPids(s.runRoot()).size());
            assertThrows(VmlabException.class, () -> b.create(VmSpec.of("g1", "qemu", MEM)));

            // The guest writes its RAM: the mapping shows it changing.
            DirtyLog log = vm.memory().dirtyLog();
            log.start();
            Thread.sleep(500);
            assertTrue(log.sync().size() > 0, "a running guest dirties pages");

            var pause = vm.pause();
            assertEquals(VmState.PAUSED, vm.state());
            assertEquals("paused", vm.qmp().execute("query-status", null, T).get("status"));
            System.out.println("pause took " + pause.stopNanos() / 1000 + " us");
            log.sync(); // settle: what the guest wrote before the stop

            // Paused: exactly the pages written through the mapping are reported.
            assertEquals(0, log.sync().size());
            long[] pfns = {3, 4095, 20000, vm.memory().pageCount() - 1};
            for (long pfn : pfns) {
                long off = pfn * Pages.SIZE + 8 * 17;
                vm.memory().putLong(off, vm.memory().getLong(off) ^ 0x5a5aL);
            }
            ByteBuffer page = ByteBuffer.allocate(Pages.SIZE);
            vm.memory().readPage(777, page);
            page.put(100, (byte) (page.get(100) + 1)).flip();
            vm.memory().writePage(777, page);
            PageSet d = log.sync();
            assertEquals(5, d.size());
            for (long pfn : pfns) {
                assertTrue(d.contains(pfn), "pfn " + pfn);
            }
            assertTrue(d.contains(777));
            // Written back to the same content: not a change.
            page.clear();
            vm.memory().readPage(777, page);
            page.flip();
            vm.memory().writePage(777, page);
            assertEquals(0, log.sync().size());
            log.stop();

            vm.resume();
            assertEquals(VmState.RUNNING, vm.state());
            assertEquals("running", vm.qmp().execute("query-status", null, T).get("status"));
            String before = QemuProcess.tail(vm.process().consoleLog(), 1);
            Thread.sleep(1500);
            assertNotEquals(before, QemuProcess.tail(vm.process().consoleLog(), 1), "guest runs after resume");
            assertThrowsExactly(IllegalArgumentException.class, () -> vm.throttle(1.0));
            vm.throttle(0.5);
            int stopped = 0;
            for (int i = 0; i < 40; i++) {
                Thread.sleep(23);
                stopped += "paused".equals(vm.qmp().execute("query-status", null, T).get("status")) ? 1 : 0;
            }
            assertTrue(stopped >= 8 && stopped <= 32, "half-throttled guest stopped in " + stopped + " of 40 samples");
            assertEquals(VmState.RUNNING, vm.state());
            vm.pause(); // wins over the duty cycle: no cont until resume
            Thread.sleep(400);
            assertEquals("paused", vm.qmp().execute("query-status", null, T).get("status"));
            vm.resume();
            vm.throttle(0);
            Thread.sleep(300);
            for (int i = 0; i < 10; i++) {
                Thread.sleep(20);
                assertEquals("running", vm.qmp().execute("query-status", null, T).get("status"), "unthrottled");
            }
        } finally {
            vm.destroy();
        }
        assertEquals(VmState.STOPPED, vm.state());
        assertTrue(b.vms().isEmpty());
        assertFalse(Files.exists(s.runRoot().resolve("g1")));
        assertEquals(List.of(), QemuTestSupport.qemuPids(s.runRoot()));
        b.close();
    }

    @Test
    void reapsWhatACrashedPlatformLeft() throws Exception {
        QemuSettings s = QemuTestSupport.settings(dir).withAccelerator("tcg");
        QemuBackend first = new QemuBackend(s);
        first.start();
        QemuVm vm = (QemuVm) first.create(VmSpec.of("orphan", "qemu", MEM));
        long pid = vm.process().pid();
        Path run = vm.process().runDir();
        // "Crash": the first backend is forgotten without closing; its QEMU keeps running.
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        // A folder without an owner file, and one owned by another live JVM-looking pid, stay.
        Path foreign = Files.createDirectories(s.runRoot().resolve("not-ours"));

        QemuBackend second = new QemuBackend(s);
        List<String> reaped = second.start();
        assertEquals(List.of("orphan"), reaped);
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "QEMU killed");
        assertFalse(Files.exists(run), "run folder removed");
        assertTrue(Files.exists(foreign));
        assertEquals(List.of(), QemuTestSupport.qemuPids(s.runRoot()));
        second.close();
    }

    /** vmlab precopy on QEMU in miniature: RAM copied through the mappings, device state by QEMU. */
    @Test
    void deviceStateRoundTripBetweenTwoQemus() throws Exception {
        QemuSettings s = QemuTestSupport.settings(dir).withAccelerator("tcg");
        QemuBackend b = new QemuBackend(s);
        b.start();
        QemuVm src = (QemuVm) b.create(VmSpec.of("src", "qemu", MEM));
        QemuVm dst = null;
        try {
            dst = (QemuVm) b.prepareIncoming(src.spec());
            assertEquals("src-incoming", dst.id());
            assertEquals(VmState.MIGRATING, dst.state());
            assertEquals("inmigrate", dst.qmp().execute("query-status", null, T).get("status"));
            assertThrows(VmlabException.class, dst::resume);
            // Snapshots are real (QemuSnapshotTest), but not of a destination without device state.
            QemuVm fresh = dst;
            VmlabException noState = assertThrows(VmlabException.class, () -> fresh.snapshot(dir.resolve("dst.snap")));
            assertTrue(noState.getMessage().contains("no device state yet"), noState.getMessage());
            assertFalse(Files.exists(dir.resolve("dst.snap")));

            src.pause();
            int chunk = 256;
            ByteBuffer buf = ByteBuffer.allocateDirect(chunk * Pages.SIZE);
            long pages = src.memory().pageCount();
            for (long pfn = 0; pfn < pages; pfn += chunk) {
                int n = (int) Math.min(chunk, pages - pfn); // the RAM may carry TCG_RAM_PAD
                buf.clear().limit(n * Pages.SIZE);
                src.memory().read(pfn, n, buf);
                buf.flip();
                dst.memory().write(pfn, n, buf);
            }
            long t0 = System.nanoTime();
            byte[] state = src.saveDeviceState();
            long saveMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals("postmigrate", src.qmp().execute("query-status", null, T).get("status"));
            assertThrows(VmlabException.class, () -> dst2(b).loadDeviceState(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
            t0 = System.nanoTime();
            dst.loadDeviceState(state);
            long loadMs = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("device state " + state.length + " bytes; save " + saveMs + " ms, load " + loadMs + " ms");
            assertTrue(state.length < MEM / 4, "RAM itself is not in the device state: " + state.length);
            assertEquals(src.memory().pageHash(1000), dst.memory().pageHash(1000));
            dst.resume();
            dst.endMigration();
            assertEquals(VmState.RUNNING, dst.state());
            Path console = dst.process().consoleLog();
            assertTrue(QemuTestSupport.waitFor(console, "tick", Duration.ofSeconds(20)),
                    "the migrated guest continues on the destination: " + dst.process().lastLines(5));
            String tick = QemuProcess.tail(console, 1);
            int n = Integer.parseInt(tick.replaceAll("\\D", ""));
            String srcLast = QemuProcess.tail(src.process().consoleLog(), 1);
            assertTrue(n > Integer.parseInt(srcLast.replaceAll("\\D", "")),
                    "destination continues the source's count: src " + srcLast + ", dst " + tick);

            // A failed migration after the device state was taken: the source still runs.
            src.resume();
            assertEquals("running", src.qmp().execute("query-status", null, T).get("status"));
        } finally {
            src.destroy();
            if (dst != null) {
                dst.destroy();
            }
            b.close();
        }
        assertEquals(List.of(), QemuTestSupport.qemuPids(s.runRoot()));
        try (var l = Files.list(s.runRoot())) {
            assertEquals(0, l.count());
        }
    }

    private static QemuVm dst2(QemuBackend b) {
        return (QemuVm) b.prepareIncoming(VmSpec.of("other", "qemu", MEM));
    }

    @Test
    void badSpecsGetClearErrors() throws Exception {
        QemuSettings s = QemuTestSupport.settings(dir).withAccelerator("tcg");
        QemuBackend b = new QemuBackend(s);
        b.bindMemoryWorkload(new MemoryWorkload());
        assertThrows(IllegalArgumentException.class, () -> b.create(VmSpec.of("x", "emu", MEM)));
        VmlabException e = assertThrows(VmlabException.class, () -> b.create(VmSpec.of("x", "qemu", 16L << 20)));
        assertTrue(e.getMessage().contains("at least 64 MiB"), e.getMessage());
        e = assertThrows(VmlabException.class, () -> b.create(VmSpec.of("x", "qemu", MEM)
                .withWorkload("web", Map.of())));
        assertTrue(e.getMessage().contains("idle and memory"), e.getMessage());
        e = assertThrows(VmlabException.class, () -> b.create(VmSpec.of("x", "qemu", MEM)
                .withWorkload("memory", Map.of("fill", "page"))));
        assertTrue(e.getMessage().contains("cannot honour fill=page"), e.getMessage());
        QemuBackend noKernel = new QemuBackend(new QemuSettings("qemu-system-x86_64", dir.resolve("r2"),
                dir.resolve("nope/vmlinuz"), null, null, "tcg", "", "", T, T, 1L << 30));
        e = assertThrows(VmlabException.class, () -> noKernel.create(VmSpec.of("x", "qemu", MEM)));
        assertTrue(e.getMessage().contains("guest/build.sh"), e.getMessage());
        assertTrue(b.vms().isEmpty());
    }
}
