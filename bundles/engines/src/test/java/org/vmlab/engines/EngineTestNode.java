package org.vmlab.engines;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.api.workload.InvariantResult;
import org.vmlab.emu.EmuBackend;
import org.vmlab.emu.EmuSettings;
import org.vmlab.ordering.HotLastOrdering;
import org.vmlab.ordering.RandomOrdering;
import org.vmlab.ordering.SequentialOrdering;
import org.vmlab.ordering.UpdateHistoryOrdering;
import org.vmlab.workloads.MemoryWorkload;

/**
 * One vmlab node outside OSGi for engine tests: an emu backend with the memory workload, a
 * receiver on a loopback port, and a migration service with every engine and ordering.
 */
final class EngineTestNode implements AutoCloseable {
    static final long MIB = 1 << 20;
    static final List<String> ENGINES = List.of("precopy", "postcopy", "hybrid");
    static final List<String> ORDERINGS = List.of("sequential", "random", "hot-last", "update-history");

    final EmuBackend backend;
    final MigrationReceiver receiver;
    final DefaultMigrationService service;
    private final AtomicInteger counter = new AtomicInteger();

    EngineTestNode(Path dir, Duration timeout) throws IOException {
        this(dir, timeout, dir.resolve("memory"));
    }

    /** With guest memory files in {@code memoryDir} (a tmpfs such as /dev/shm, as in a distribution). */
    EngineTestNode(Path dir, Duration timeout, Path memoryDir) throws IOException {
        backend = new EmuBackend(new EmuSettings(memoryDir, dir.resolve("state"), EmuSettings.forTests(dir).maxGuestMemoryBytes()));
        backend.registerWorkload("memory", new MemoryWorkload());
        receiver = new MigrationReceiver(name -> "emu".equals(name) ? backend : null,
                MigrationReceiver.Settings.loopback(dir.resolve("secret/transport.secret")).withTimeout(timeout));
        service = new DefaultMigrationService(backend.directory());
        service.addEngine("precopy", 100, new PrecopyEngine(receiver));
        service.addEngine("postcopy", 50, new PostcopyEngine(receiver));
        service.addEngine("hybrid", 40, new HybridEngine(receiver));
        service.addOrdering("sequential", 100, new SequentialOrdering());
        service.addOrdering("random", 0, new RandomOrdering());
        service.addOrdering("hot-last", 0, new HotLastOrdering());
        service.addOrdering("update-history", 0, new UpdateHistoryOrdering());
    }

    /** A running VM with the memory workload (one writer per vCPU). */
    Vm memoryVm(String rate, long memory, String workingSet, int vcpus, Map<String, String> extra) {
        String name = "vm" + counter.incrementAndGet();
        Map<String, String> params = new java.util.HashMap<>(extra);
        params.put("rate", rate);
        params.put("working-set", workingSet);
        return backend.create(VmSpec.of(name, "emu", memory).withVcpus(vcpus).withWorkload("memory", params));
    }

    MigrationReport run(MigrationPlan plan) throws Exception {
        Migration m = service.start(plan, MigrationListener.NONE);
        return m.result().toCompletableFuture().get(90, TimeUnit.SECONDS);
    }

    /** The memory invariant of a VM, checked while it is paused. */
    static InvariantResult invariantOf(Vm vm) {
        vm.pause();
        try {
            return MemoryWorkload.invariantIn(vm.memory()).check(vm.memory());
        } finally {
            vm.resume();
        }
    }

    /** The destination VM of a migration on this node (same spec name, not the source). */
    Vm incoming(String sourceName) {
        return backend.vms().stream().filter(v -> v.spec().name().equals(sourceName)).findFirst().orElseThrow();
    }

    void awaitNoIncoming() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline
                && (receiver.activeSessions() > 0 || backend.vms().stream().anyMatch(v -> v.state() == VmState.MIGRATING))) {
            Thread.sleep(20);
        }
        assertEquals(0, receiver.activeSessions(), "receiver sessions left");
    }

    void destroyAll() throws InterruptedException {
        awaitNoIncoming();
        for (Vm vm : backend.vms()) {
            vm.destroy();
        }
    }

    @Override
    public void close() {
        receiver.close();
        backend.close();
    }
}
