package org.vmlab.emu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.GuestOs;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;

class EmuBackendTest {
    static final long MIB = 1L << 20;

    @TempDir
    Path dir;
    EmuBackend backend;

    @BeforeEach
    void setUp() {
        backend = new EmuBackend(EmuSettings.forTests(dir));
        backend.registerWorkload("counter", new CounterWorkload());
    }

    @AfterEach
    void tearDown() {
        backend.close();
        assertTrue(backend.vms().isEmpty());
    }

    private long filesUnder(Path p) throws Exception {
        if (!Files.exists(p)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    private static long vcpuThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("vmlab-emu-") && t.isAlive()).count();
    }

    @Test
    void createGivesARunningVm() {
        Vm vm = backend.create(new VmSpec("a", "emu", 64 * MIB, 2, null, 0, null, Map.of(), List.of()));
        assertEquals("a", vm.id());
        assertEquals("emu", vm.backend());
        assertEquals(VmState.RUNNING, vm.state());
        assertEquals(64 * MIB, vm.memory().sizeBytes());
        assertEquals(2, vm.vcpus().count());
        assertTrue(vm.guestOs().isPresent());
        assertTrue(vm.disk().isEmpty());
        assertTrue(vm.workload().isEmpty());
        assertEquals(List.of(vm), backend.vms());
        assertSame(vm, backend.find("a").orElseThrow());
        vm.memory().putLong(4096, 42);
        assertEquals(42, vm.memory().getLong(4096));
        assertEquals("emu", backend.info().name());
        assertEquals("jvm", backend.info().accelerator());
    }

    @Test
    void namesAreUnique() {
        backend.create(VmSpec.of("dup", "emu", MIB));
        VmlabException e = assertThrows(VmlabException.class,
                () -> backend.create(VmSpec.of("dup", "emu", MIB)));
        assertEquals("a VM named 'dup' exists already", e.getMessage());
    }

    @Test
    void badSpecsFailCleanly() throws Exception {
        long threads = vcpuThreads();
        Path memDir = backend.settings().memoryDir();
        Files.createDirectories(dir.resolve("disks"));
        List<VmSpec> bad = new ArrayList<>();
        bad.add(VmSpec.of("big", "emu", backend.settings().maxGuestMemoryBytes() + 4096));
        bad.add(VmSpec.of("w", "emu", MIB).withWorkload("nope", Map.of()));
        bad.add(VmSpec.of("d1", "emu", MIB).withDisk(dir.resolve("disks"), 0));
        bad.add(VmSpec.of("d2", "emu", MIB).withDisk(dir.resolve("disks/missing.img"), 0));
        bad.add(VmSpec.of("d3", "emu", MIB).withDisk(dir.resolve("no/such/folder/x.img"), 4096));
        bad.add(VmSpec.of("p", "emu", MIB).withWorkload("counter", Map.of("limit", "0")));
        List<String> messages = new ArrayList<>();
        for (VmSpec s : bad) {
            VmlabException e = assertThrows(VmlabException.class, () -> backend.create(s), s.name());
            messages.add(e.getMessage());
            assertTrue(e.getMessage().contains("'" + s.name() + "'"), e.getMessage());
        }
        assertTrue(messages.get(0).contains("asks for"), messages.get(0));
        assertTrue(messages.get(1).contains("unknown workload 'nope'"), messages.get(1));
        assertTrue(messages.get(2).contains("is a directory"), messages.get(2));
        assertTrue(messages.get(3).contains("does not exist"), messages.get(3));
        assertTrue(messages.get(5).contains("limit must not be 0"), messages.get(5));
        assertThrows(IllegalArgumentException.class, () -> backend.create(VmSpec.of("q", "qemu", MIB)));
        assertEquals(0, filesUnder(memDir));
        assertEquals(0, filesUnder(dir.resolve("disks")));
        assertEquals(threads, vcpuThreads());
        assertTrue(backend.vms().isEmpty());
        // a bad workload start also removes the disk image it created
        VmSpec withDisk = VmSpec.of("p2", "emu", MIB).withDisk(dir.resolve("disks/p2.img"), 8192)
                .withWorkload("counter", Map.of("limit", "0"));
        assertThrows(VmlabException.class, () -> backend.create(withDisk));
        assertEquals(0, filesUnder(dir.resolve("disks")));
        assertEquals(0, filesUnder(memDir));
    }

    @Test
    void memoryCapCountsAllVms() {
        EmuBackend small = new EmuBackend(new EmuSettings(dir.resolve("m2"), dir.resolve("s2"), 8 * MIB));
        try {
            small.create(VmSpec.of("one", "emu", 6 * MIB));
            VmlabException e = assertThrows(VmlabException.class,
                    () -> small.create(VmSpec.of("two", "emu", 4 * MIB)));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
            small.create(VmSpec.of("three", "emu", 2 * MIB));
        } finally {
            small.close();
        }
    }

    @Test
    void workloadsStartAndIdleMeansNone() throws Exception {
        Vm idle = backend.create(VmSpec.of("idle", "emu", MIB).withWorkload("idle", Map.of()));
        assertTrue(idle.workload().isEmpty());
        Vm vm = backend.create(VmSpec.of("c", "emu", MIB).withWorkload("counter", Map.of()));
        assertEquals("counter", vm.workload().orElseThrow().workload());
        EmuVcpusTest.await(() -> vm.memory().getLong(CounterWorkload.COUNTER) > 1000, "counter runs");
    }

    @Test
    void lifecycleStates() {
        Vm vm = backend.create(VmSpec.of("life", "emu", MIB).withWorkload("counter", Map.of()));
        List<String> seen = new ArrayList<>();
        vm.addStateListener((v, from, to) -> seen.add(from + ">" + to));
        vm.pause();
        assertEquals(VmState.PAUSED, vm.state());
        vm.beginMigration();
        assertEquals(VmState.MIGRATING, vm.state());
        assertThrows(VmlabException.class, vm::beginMigration);
        vm.resume();
        assertEquals(VmState.MIGRATING, vm.state());
        vm.pause();
        assertEquals(VmState.MIGRATING, vm.state());
        vm.endMigration();
        assertEquals(VmState.PAUSED, vm.state());
        vm.endMigration(); // nothing
        vm.resume();
        assertEquals(VmState.RUNNING, vm.state());
        vm.destroy();
        assertEquals(VmState.STOPPED, vm.state());
        vm.destroy(); // idempotent
        assertThrows(VmlabException.class, vm::resume);
        assertThrows(VmlabException.class, vm::beginMigration);
        assertEquals(List.of("RUNNING>PAUSED", "PAUSED>MIGRATING", "MIGRATING>PAUSED", "PAUSED>RUNNING",
                "RUNNING>STOPPED"), seen);
        assertTrue(backend.find("life").isEmpty());
        assertFalse(vm.workload().orElseThrow().isRunning());
    }

    @Test
    void pauseIsConsistent() throws Exception {
        Vm vm = backend.create(VmSpec.of("p", "emu", MIB).withVcpus(2).withWorkload("counter", Map.of()));
        EmuVcpusTest.await(() -> vm.memory().getLong(CounterWorkload.COUNTER) > 100, "counting");
        vm.pause();
        long n = vm.memory().getLong(CounterWorkload.COUNTER);
        Thread.sleep(200);
        assertEquals(n, vm.memory().getLong(CounterWorkload.COUNTER));
        vm.resume();
        EmuVcpusTest.await(() -> vm.memory().getLong(CounterWorkload.COUNTER) > n + 100, "counting again");
    }

    @Test
    void prepareIncomingIsEmptyHeldAndMigrating() throws Exception {
        Vm src = backend.create(VmSpec.of("m", "emu", MIB).withWorkload("counter", Map.of()));
        EmuVcpusTest.await(() -> src.memory().getLong(CounterWorkload.COUNTER) > 100, "counting");
        Vm dst = backend.prepareIncoming(src.spec());
        assertNotEquals(src.id(), dst.id());
        assertEquals(VmState.MIGRATING, dst.state());
        assertTrue(dst.memory().isZero(0));
        assertTrue(dst.workload().isEmpty());
        src.pause();
        ByteBuffer all = ByteBuffer.allocate((int) src.memory().sizeBytes());
        src.memory().read(0, (int) src.memory().pageCount(), all);
        all.flip();
        dst.memory().write(0, (int) dst.memory().pageCount(), all);
        long n = dst.memory().getLong(CounterWorkload.COUNTER);
        dst.resume();
        dst.endMigration();
        assertEquals(VmState.RUNNING, dst.state());
        assertEquals("counter", dst.workload().orElseThrow().workload());
        EmuVcpusTest.await(() -> dst.memory().getLong(CounterWorkload.COUNTER) > n + 100,
                "the workload continues on the destination");
        src.destroy();
    }

    @Test
    void oneGibGuestIsCheapOnTheHeap() throws Exception {
        System.gc();
        long before = heapUsed();
        Vm vm = backend.create(new VmSpec("big", "emu", 1L << 30, 2, dir.resolve("big.img"), 64 * MIB,
                null, Map.of(), List.of()));
        GuestOs os = vm.guestOs().orElseThrow();
        long anon = os.reserve(1000).first() * 4096;
        vm.memory().putLong(anon + 999 * 4096 + 4088, 7);
        ByteBuffer b = ByteBuffer.allocate(4096);
        for (int i = 0; i < 1000; i++) {
            b.clear();
            os.read(i, b);
        }
        vm.memory().dirtyLog().start();
        System.gc();
        long during = heapUsed() - before;
        assertTrue(during < 32 * MIB, "a 1 GiB guest costs " + during / MIB + " MiB of heap");
        assertEquals(7, vm.memory().getLong(anon + 999 * 4096 + 4088));
        assertEquals(1000, os.cachedPages());
        assertEquals((1L << 18) - 2000, os.freePages());
        vm.destroy();
        assertEquals(0, filesUnder(backend.settings().memoryDir()));
        assertTrue(Files.exists(dir.resolve("big.img")), "destroy keeps the disk image");
    }

    @Test
    void eightGibGuestWhenTheMachineAllowsIt() throws Exception {
        long eight = 8L << 30;
        org.junit.jupiter.api.Assumptions.assumeTrue(
                backend.settings().maxGuestMemoryBytes() >= eight
                        && EmuBackend.usableSpace(backend.settings().memoryDir()) > eight * 2,
                "not enough RAM or space for an 8 GiB sparse guest");
        System.gc();
        long before = heapUsed();
        Vm vm = backend.create(VmSpec.of("eight", "emu", eight).withVcpus(4));
        vm.memory().putLong(eight - 8, 5);
        vm.memory().dirtyLog().start();
        vm.memory().putLong(0, 1);
        assertEquals(org.vmlab.api.memory.PageSet.of(2L << 20, 0), vm.memory().dirtyLog().sync());
        System.gc();
        long used = heapUsed() - before;
        assertTrue(used < 64 * MIB, "an 8 GiB guest costs " + used / MIB + " MiB of heap");
        assertEquals(5, vm.memory().getLong(eight - 8));
        assertEquals(2L << 20, vm.guestOs().orElseThrow().freePages());
        vm.destroy();
    }

    private static long heapUsed() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
