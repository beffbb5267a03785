package org.vmlab.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.vmlab.api.DataRate;
import org.vmlab.api.migration.LinkSpec;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.pagecache.PageCacheDetector;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.core.BackendVmDirectory;
import org.vmlab.emu.EmuBackend;
import org.vmlab.emu.EmuSettings;
import org.vmlab.engines.DefaultMigrationService;
import org.vmlab.engines.MigrationReceiver;
import org.vmlab.engines.PrecopyEngine;
import org.vmlab.ordering.SequentialOrdering;
import org.vmlab.pagecache.DefaultPageCacheService;
import org.vmlab.pagecache.GuestAgentDetector;
import org.vmlab.pagecache.IntrospectionDetector;
import org.vmlab.pagecache.IoMonitorDetector;
import org.vmlab.pagecache.PlantedErrorDetector;
import org.vmlab.pagecache.SanServer;
import org.vmlab.workloads.DatabaseWorkload;
import org.vmlab.workloads.WebWorkload;

/**
 * One vmlab node in this JVM for bench/san.sh: emu guests (memory in /dev/shm), the migration
 * receiver on a free loopback port, the SAN endpoint, precopy and the three detectors.
 */
final class SanNode implements AutoCloseable {
    final Path dir;
    final EmuBackend backend;
    final MigrationReceiver receiver;
    final SanServer san;
    final DefaultMigrationService service;
    final IoMonitorDetector ioMonitor = new IoMonitorDetector();
    final DefaultPageCacheService detectors = new DefaultPageCacheService();
    /** Every 10th entry of guest-agent's map pointed at another data block: what the hash check must catch. */
    final PlantedErrorDetector liar = new PlantedErrorDetector(new GuestAgentDetector(), 10);
    private int counter;

    SanNode(Path dir) throws IOException {
        this.dir = dir;
        Path shm = Path.of("/dev/shm");
        Path memory = Files.isDirectory(shm) ? shm.resolve("vmlab-sanbench-" + ProcessHandle.current().pid())
                : dir.resolve("memory");
        backend = new EmuBackend(new EmuSettings(memory, dir.resolve("state"), 64L << 30));
        backend.registerWorkload("web", new WebWorkload());
        backend.registerWorkload("database", new DatabaseWorkload());
        receiver = new MigrationReceiver(name -> "emu".equals(name) ? backend : null,
                MigrationReceiver.Settings.loopback(dir.resolve("secret")).withTimeout(Duration.ofSeconds(30)));
        san = new SanServer("127.0.0.1", 0);
        receiver.setSharedStorage(san);
        service = new DefaultMigrationService(directory(backend));
        service.addEngine("precopy", 100, new PrecopyEngine(receiver));
        service.addOrdering("sequential", 100, new SequentialOrdering());
        PageCacheDetector[] all = {new GuestAgentDetector(), new IntrospectionDetector(), ioMonitor};
        String[] names = {GuestAgentDetector.NAME, IntrospectionDetector.NAME, IoMonitorDetector.NAME};
        for (int i = 0; i < all.length; i++) {
            service.addDetector(names[i], 100 - i, all[i]);
            detectors.add(names[i], 100 - i, all[i]);
        }
        service.addDetector("liar", 0, liar);
    }

    /**
     * A guest running {@code workload}; the I/O monitor watches it from right after creation (the
     * first few pages the workload reads at once may escape it, as with any monitor attached late).
     */
    Vm create(String workload, long memory, Path disk, long diskBytes, Map<String, String> params) {
        Vm vm = backend.create(VmSpec.of(workload + (++counter), "emu", memory).withVcpus(2).withDisk(disk, diskBytes)
                .withWorkload(workload, params));
        ioMonitor.watch(vm);
        return vm;
    }

    /** Waits until the guest's clean page cache holds {@code pages}, or {@code timeout} passes. */
    static long awaitCache(Vm vm, long pages, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long have = 0;
        while (System.nanoTime() < deadline) {
            have = vm.guestOs().orElseThrow().cleanPageCache().size();
            if (have >= pages) {
                break;
            }
            Thread.sleep(200);
        }
        return have;
    }

    MigrationReport migrate(Vm vm, String detector, String split, String rate, String sanRate) throws Exception {
        return migrate(vm, detector, split, rate, sanRate, Map.of(), dest -> { });
    }

    /**
     * Migrates with verification, hands the destination VM to {@code after} (it runs there
     * now), then destroys every VM: the next row starts from a fresh guest on the same disk.
     */
    MigrationReport migrate(Vm vm, String detector, String split, String rate, String sanRate,
                            Map<String, String> options, java.util.function.Consumer<Vm> after) throws Exception {
        MigrationPlan.Builder b = MigrationPlan.builder(vm.id()).verify(true).network(LinkSpec.of(DataRate.parse(rate)))
                .options(options);
        if (detector != null) {
            b.detector(detector).san(LinkSpec.of(DataRate.parse(sanRate))).option("split", split);
        }
        MigrationReport r = service.start(b.build(), MigrationListener.NONE).result().toCompletableFuture()
                .get(30, TimeUnit.MINUTES);
        try {
            backend.vms().stream().filter(v -> v != vm && v.spec().name().equals(vm.spec().name())).findFirst()
                    .ifPresent(after);
        } finally {
            for (Vm v : backend.vms()) {
                v.destroy();
            }
        }
        return r;
    }

    @Override
    public void close() {
        receiver.close();
        san.close();
        backend.close();
    }

    /** The backend's VMs as the directory the migration service looks them up in. */
    static VmDirectory directory(EmuBackend backend) {
        BackendVmDirectory d = new BackendVmDirectory();
        d.add("emu", 0, backend);
        return d;
    }
}
