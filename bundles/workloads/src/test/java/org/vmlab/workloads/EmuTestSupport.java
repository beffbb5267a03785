package org.vmlab.workloads;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.workload.ThroughputSample;
import org.vmlab.emu.EmuBackend;
import org.vmlab.emu.EmuSettings;

/** Real emu VMs for the workload tests: one backend per test with every workload registered. */
abstract class EmuTestSupport {

    static final long MiB = 1L << 20;

    @TempDir
    Path dir;
    EmuBackend backend;
    final IdleWorkload idle = new IdleWorkload();
    final MemoryWorkload memory = new MemoryWorkload();
    final WebWorkload web = new WebWorkload();
    final DatabaseWorkload database = new DatabaseWorkload();
    final MpiWorkload mpi = new MpiWorkload();

    @BeforeEach
    void startBackend() {
        backend = new EmuBackend(EmuSettings.forTests(dir));
        for (AbstractWorkload w : List.of(idle, memory, web, database, mpi)) {
            backend.registerWorkload(w.name(), w);
        }
    }

    @AfterEach
    void stopBackend() {
        for (AbstractWorkload w : List.of(idle, memory, web, database, mpi)) {
            w.stopAll();
        }
        backend.close();
    }

    Vm vm(String name, long memoryBytes, int vcpus) {
        return backend.create(VmSpec.of(name, EmuBackend.NAME, memoryBytes).withVcpus(vcpus));
    }

    Vm vmWithDisk(String name, long memoryBytes, int vcpus, long diskBytes) {
        return backend.create(VmSpec.of(name, EmuBackend.NAME, memoryBytes).withVcpus(vcpus)
                .withDisk(dir.resolve(name + ".img"), diskBytes));
    }

    Vm vmWithWorkload(String name, long memoryBytes, int vcpus, String workload, Map<String, String> params) {
        return backend.create(VmSpec.of(name, EmuBackend.NAME, memoryBytes).withVcpus(vcpus)
                .withWorkload(workload, params));
    }

    static void await(String what, long timeoutMillis, BooleanSupplier condition) {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail("timed out after " + timeoutMillis + " ms waiting for " + what);
            }
            sleep(10);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** No thread of any workload run is left (the sampler threads are the only ones they own). */
    static void assertNoWorkloadThreads() {
        long deadline = System.currentTimeMillis() + 2000;
        List<String> left;
        do {
            left = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                    .map(Thread::getName).filter(n -> n.startsWith(AbstractRun.THREAD_PREFIX)).toList();
            if (left.isEmpty()) {
                return;
            }
            sleep(10);
        } while (System.currentTimeMillis() < deadline);
        fail("workload threads left after stop: " + left);
    }

    static void assertSampledWork(AbstractRun run) {
        List<ThroughputSample> s = run.samples();
        assertTrue(!s.isEmpty(), "no samples");
        assertTrue(s.stream().anyMatch(x -> x.opsPerSecond() > 0 || x.bytesPerSecond() > 0),
                "all samples zero: " + s);
    }
}
