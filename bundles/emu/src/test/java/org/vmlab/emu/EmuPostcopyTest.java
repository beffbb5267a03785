package org.vmlab.emu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.TaskHandle;
import org.vmlab.api.memory.FaultMode;
import org.vmlab.api.memory.PageFaultHandler;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.memory.PostcopyMemory;
import org.vmlab.api.vm.VmSpec;

class EmuPostcopyTest {
    static final long PAGES = 1024;

    @TempDir
    Path dir;
    EmuBackend backend;
    EmuVm vm;
    PostcopyMemory pc;
    final Map<Long, AtomicInteger> faults = new ConcurrentHashMap<>();
    final PageFaultHandler handler = pfn -> faults.computeIfAbsent(pfn, k -> new AtomicInteger())
            .incrementAndGet();

    @BeforeEach
    void setUp() {
        backend = new EmuBackend(EmuSettings.forTests(dir));
        vm = (EmuVm) backend.create(new VmSpec("pc", "emu", PAGES * Pages.SIZE, 1, null, 0, null,
                Map.of(), List.of()));
        pc = vm.memory().postcopy().orElseThrow();
    }

    @AfterEach
    void tearDown() {
        backend.close();
    }

    /** A page whose every word is {@code value}. */
    static ByteBuffer page(long value) {
        ByteBuffer b = ByteBuffer.allocate(Pages.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            b.putLong(value);
        }
        return b.flip();
    }

    static long off(long pfn) {
        return pfn * Pages.SIZE;
    }

    @Test
    void blockingAccessesWaitForFillsAndFaultOncePerPage() throws Exception {
        vm.memory().putLong(off(3), 7); // present before: stays as it is
        pc.begin(PageSet.of(PAGES, 10, 11, 12), handler, FaultMode.BLOCKING);
        assertEquals(3, pc.missingCount());
        assertTrue(pc.isMissing(11));
        assertFalse(pc.isMissing(3));
        assertEquals(7, vm.memory().getLong(off(3)), "present pages are not delayed");

        AtomicLong sum = new AtomicLong();
        TaskHandle task = vm.vcpus().submit("reader", () -> {
            sum.set(vm.memory().getLong(off(10)) + vm.memory().getLong(off(11) + 8)
                    + vm.memory().getLong(off(12) + 4088));
            return false;
        });
        // A second, non-vCPU reader of a missing page: waits too; the handler is still called once.
        AtomicReference<Long> hash = new AtomicReference<>();
        Thread other = new Thread(() -> hash.set(vm.memory().pageHash(10)));
        other.start();
        Thread.sleep(150);
        assertFalse(task.isDone(), "the reader waits for the missing pages");
        assertTrue(other.isAlive());
        assertEquals(1, faults.get(10L).get());

        vm.memory().dirtyLog().start();
        Thread filler = new Thread(() -> {
            for (long p = 10; p <= 12; p++) {
                pc.fill(p, page(p * 100));
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        filler.start();
        filler.join(5000);
        EmuDeviceStateTest.await(task::isDone, "the reader");
        other.join(5000);
        assertTrue(task.failure().isEmpty(), () -> task.failure().toString());
        assertEquals(1000 + 1100 + 1200, sum.get());
        assertEquals(vm.memory().pageHash(10), hash.get());
        assertEquals(Map.of(10L, 1, 11L, 1, 12L, 1), Map.of(10L, faults.get(10L).get(),
                11L, faults.get(11L).get(), 12L, faults.get(12L).get()));
        assertTrue(vm.memory().dirtyLog().sync().isEmpty(), "fills are not guest writes");
        vm.memory().dirtyLog().stop();
        assertEquals(0, pc.missingCount());
        pc.fill(10, page(-1)); // present now: ignored
        assertEquals(1000, vm.memory().getLong(off(10)));
        Duration blocked = pc.blockTime();
        assertTrue(blocked.toMillis() >= 150, "block time " + blocked);
        pc.end();
        assertFalse(pc.isMissing(10));
        assertEquals(blocked, pc.blockTime(), "no waits after the end");
    }

    @Test
    void everyAccessPathFaults() throws Exception {
        pc.begin(PageSet.of(PAGES, 20, 21, 22, 23, 24, 25, 26, 27), handler, FaultMode.BLOCKING);
        ((EmuPostcopyMemory) pc).waitTimeoutNanos = 50_000_000L; // each access times out fast
        ByteBuffer b = ByteBuffer.allocate(2 * Pages.SIZE);
        List<Runnable> accesses = List.of(
                () -> vm.memory().getLong(off(20)),
                () -> vm.memory().putLong(off(21), 1),
                () -> vm.memory().readPage(22, b.clear()),
                () -> vm.memory().writePage(23, b.clear()),
                () -> vm.memory().read(23, 2, b.clear()),
                () -> vm.memory().write(24, 2, b.clear()),
                () -> vm.memory().isZero(26),
                () -> vm.memory().pageHash(27));
        for (Runnable r : accesses) {
            VmlabException e = assertThrows(VmlabException.class, r::run);
            assertTrue(e.getMessage().contains("did not arrive"), e.getMessage());
        }
        // write(24, 2) stops at its first missing page, so 25 is never reached.
        assertEquals(java.util.Set.of(20L, 21L, 22L, 23L, 24L, 26L, 27L), faults.keySet());
        assertTrue(faults.values().stream().allMatch(n -> n.get() == 1), faults.toString());
        assertTrue(pc.isMissing(21), "a faulting putLong does not install the page");
        assertEquals(0, b.position(), "buffers are untouched by a faulting access");
        for (long p = 20; p <= 27; p++) {
            pc.fill(p, page(0));
        }
        pc.end();
    }

    @Test
    void cooperativeFaultParksTheTaskWhileOthersRun() throws Exception {
        pc.begin(PageSet.of(PAGES, 40), handler, FaultMode.COOPERATIVE);
        AtomicLong seen = new AtomicLong();
        AtomicInteger stepsA = new AtomicInteger();
        TaskHandle a = vm.vcpus().submit("A", () -> {
            stepsA.incrementAndGet();
            seen.set(vm.memory().getLong(off(40)));
            return false;
        });
        AtomicLong b = new AtomicLong();
        TaskHandle bh = vm.vcpus().submit("B", () -> {
            vm.memory().putLong(off(1), vm.memory().getLong(off(1)) + 1);
            b.incrementAndGet();
            return true;
        });
        EmuDeviceStateTest.await(() -> b.get() > 1000, "B to run");
        long b1 = b.get();
        Thread.sleep(100);
        assertTrue(b.get() > b1 + 100, "B keeps running while A waits");
        assertFalse(a.isDone());
        assertEquals(1, stepsA.get(), "a parked task is not re-stepped before its page arrives");
        assertEquals(2, vm.vcpus().activeTasks());

        // Pause does not wait for the parked task.
        long t0 = System.nanoTime();
        vm.pause();
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "pause with a parked task");
        long frozen = b.get();
        Thread.sleep(30);
        assertEquals(frozen, b.get());
        pc.fill(40, page(4242)); // arrives while paused: A still waits for the resume
        Thread.sleep(30);
        assertFalse(a.isDone());
        vm.resume();

        EmuDeviceStateTest.await(a::isDone, "A after the fill");
        assertTrue(a.failure().isEmpty(), () -> a.failure().toString());
        assertEquals(4242, seen.get());
        assertEquals(2, stepsA.get(), "the faulting step ran again once");
        assertEquals(1, faults.get(40L).get());
        assertTrue(pc.blockTime().toMillis() >= 100, "block time " + pc.blockTime());
        pc.end();
        long b2 = b.get();
        EmuDeviceStateTest.await(() -> b.get() > b2 + 100, "B after the end");
        bh.cancel();
    }

    @Test
    void cooperativeFromANonVcpuThreadBlocks() throws Exception {
        pc.begin(PageSet.of(PAGES, 50), handler, FaultMode.COOPERATIVE);
        AtomicLong v = new AtomicLong();
        Thread t = new Thread(() -> v.set(vm.memory().getLong(off(50) + 16)));
        t.start();
        Thread.sleep(50);
        assertTrue(t.isAlive());
        pc.fill(50, page(9));
        t.join(5000);
        assertEquals(9, v.get());
        pc.end();
    }

    @Test
    void endWithPagesMissingFailsWaitersAndNamesThePages() throws Exception {
        long[] missing = new long[15];
        for (int i = 0; i < missing.length; i++) {
            missing[i] = 100 + i;
        }
        pc.begin(PageSet.of(PAGES, missing), handler, FaultMode.COOPERATIVE);
        AtomicReference<Throwable> waiterFailure = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                vm.memory().getLong(off(114));
            } catch (Throwable e) {
                waiterFailure.set(e);
            }
        });
        waiter.start();
        TaskHandle parked = vm.vcpus().submit("parked", () -> {
            vm.memory().getLong(off(103));
            return false;
        });
        EmuDeviceStateTest.await(() -> faults.containsKey(103L) && faults.containsKey(114L), "faults");
        pc.fill(100, page(1));
        VmlabException e = assertThrows(VmlabException.class, pc::end);
        String msg = e.getMessage();
        assertTrue(msg.contains("14 pages still missing"), msg);
        assertTrue(msg.contains("(101, 102, 103, 104, 105, 106, 107, 108, 109, 110, ...)"), msg);
        assertFalse(msg.contains("114"), "at most 10 pages named: " + msg);
        waiter.join(5000);
        assertTrue(waiterFailure.get() instanceof VmlabException, String.valueOf(waiterFailure.get()));
        assertEquals(msg, waiterFailure.get().getMessage());
        EmuDeviceStateTest.await(parked::isDone, "the parked task to fail");
        assertEquals(msg, parked.failure().orElseThrow().getMessage());
        assertEquals(14, pc.missingCount());
        assertThrows(VmlabException.class, () -> vm.memory().getLong(off(105)));
        assertEquals(1, vm.memory().getLong(off(100)), "filled pages stay usable");
    }

    @Test
    void aPageCacheLoadThatFaultsLeavesTheCacheAsItWas() throws Exception {
        Path image = dir.resolve("disk.img");
        java.nio.file.Files.write(image, new byte[64 * Pages.SIZE]);
        EmuVm d = (EmuVm) backend.create(new VmSpec("d", "emu", PAGES * Pages.SIZE, 1, image, 0, null,
                Map.of(), List.of()));
        PostcopyMemory dpc = d.memory().postcopy().orElseThrow();
        long[] top = new long[8];
        for (int i = 0; i < top.length; i++) {
            top[i] = PAGES - 8 + i; // the cache takes frames from the top
        }
        dpc.begin(PageSet.of(PAGES, top), handler, FaultMode.COOPERATIVE);
        EmuGuestOs os = d.emuGuestOs();
        TaskHandle t = d.vcpus().submit("load", () -> {
            os.read(5, ByteBuffer.allocate(Pages.SIZE));
            return false;
        });
        EmuDeviceStateTest.await(() -> faults.containsKey(PAGES - 1), "the fault");
        Thread.sleep(20);
        assertEquals(0, os.cachedPages());
        assertEquals(PAGES, os.freePages(), "the frame taken for the load was given back");
        assertFalse(t.isDone());
        for (long p : top) {
            dpc.fill(p, page(0));
        }
        EmuDeviceStateTest.await(t::isDone, "the load");
        assertTrue(t.failure().isEmpty(), () -> t.failure().toString());
        assertEquals(1, os.cachedPages());
        assertEquals(PAGES - 1, os.frameOf(5));
        dpc.end();
    }
}
