package org.vmlab.hotplug;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.emu.EmuBackend;
import org.vmlab.emu.EmuDeviceHotplug;
import org.vmlab.emu.EmuSettings;
import org.vmlab.engines.DefaultMigrationService;
import org.vmlab.engines.HybridEngine;
import org.vmlab.engines.MigrationReceiver;
import org.vmlab.engines.PostcopyEngine;
import org.vmlab.engines.PrecopyEngine;
import org.vmlab.ordering.SequentialOrdering;
import org.vmlab.workloads.MpiRun;
import org.vmlab.workloads.MpiWorkload;

/**
 * One vmlab node outside OSGi with everything SymVirt needs: the emu backend with the mpi
 * workload, its pass-through device model, the in-JVM agent channel, a receiver, precopy and
 * postcopy, and the job coordinator. Also builds MPI jobs of emu VMs sharing one ivshmem file.
 */
public final class JobTestNode implements AutoCloseable {
    public static final long MIB = 1 << 20;

    public final EmuBackend backend;
    public final MigrationReceiver receiver;
    public final DefaultMigrationService migrations;
    public final EmuDeviceHotplug hotplug;
    public final InJvmGuestCooperation agents = new InJvmGuestCooperation();
    public final DefaultJobCoordinator coordinator;
    private final MpiWorkload mpi = new MpiWorkload();
    private final Path dir;

    public JobTestNode(Path dir) throws IOException {
        this.dir = dir;
        backend = new EmuBackend(EmuSettings.forTests(dir));
        backend.registerWorkload("mpi", mpi);
        receiver = new MigrationReceiver(name -> "emu".equals(name) ? backend : null,
                MigrationReceiver.Settings.loopback(dir.resolve("secret/transport.secret")).withTimeout(Duration.ofSeconds(60)));
        VmDirectory directory = backend.directory();
        migrations = new DefaultMigrationService(directory);
        migrations.addEngine("precopy", 100, new PrecopyEngine(receiver));
        migrations.addEngine("postcopy", 50, new PostcopyEngine(receiver));
        migrations.addEngine("hybrid", 40, new HybridEngine(receiver));
        migrations.addOrdering("sequential", 100, new SequentialOrdering());
        hotplug = new EmuDeviceHotplug(backend);
        hotplug.setAgent(agents);
        coordinator = new DefaultJobCoordinator(directory);
        coordinator.addHotplug(hotplug);
        coordinator.addChannel(agents);
        coordinator.setMigrations(migrations);
    }

    /**
     * Starts an MPI job of {@code ranks} VMs named {@code prefix0..}, each with an ivshmem device
     * on one shared file when {@code device}.
     */
    public List<Vm> job(String prefix, int ranks, boolean device, long memory, Map<String, String> extra)
            throws IOException {
        int[] ports = new int[ranks];
        for (int i = 0; i < ranks; i++) {
            try (ServerSocket s = new ServerSocket(0)) {
                ports[i] = s.getLocalPort();
            }
        }
        Path fabric = dir.resolve(prefix + "-fabric");
        if (device) {
            try (RandomAccessFile f = new RandomAccessFile(fabric.toFile(), "rw")) {
                f.setLength(16 * MIB);
            }
        }
        List<Vm> vms = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            List<String> peers = new ArrayList<>();
            for (int p = 0; p < ranks; p++) {
                if (p != r) {
                    peers.add("127.0.0.1:" + ports[p]);
                }
            }
            Map<String, String> params = new HashMap<>(Map.of("rank", "" + r, "listen", "" + ports[r],
                    "peers", String.join(",", peers), "compute-ms", "0.5", "message-size", "16K", "memory", "4M"));
            params.putAll(extra);
            List<DeviceSpec> devices = device ? List.of(new DeviceSpec("ib0", "ivshmem", true,
                    Map.of("path", fabric.toString(), "attach-ms", "30", "detach-ms", "10"))) : List.of();
            vms.add(backend.create(VmSpec.of(prefix + r, EmuBackend.NAME, memory).withDevices(devices)
                    .withWorkload("mpi", params)));
        }
        return vms;
    }

    /** The rank run of the live VM named {@code name}, if it has one now. */
    public Optional<MpiRun> rank(String name) {
        return backend.vms().stream().filter(v -> v.spec().name().equals(name))
                .flatMap(v -> v.workload().stream()).filter(MpiRun.class::isInstance).map(MpiRun.class::cast)
                .filter(MpiRun::isRunning).findFirst();
    }

    public long iterations(String name) {
        return rank(name).map(MpiRun::iterations).orElse(-1L);
    }

    @Override
    public void close() {
        receiver.close();
        backend.close();
    }
}
