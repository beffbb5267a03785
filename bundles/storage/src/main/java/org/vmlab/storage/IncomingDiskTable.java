package org.vmlab.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.vmlab.api.VmlabException;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.storage.EvacuationPlan;
import org.vmlab.api.storage.IncomingDisks;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.storage.block.BlockBitmap;
import org.vmlab.storage.block.FileBlockDevice;
import org.vmlab.storage.evacuate.MigratingDisk;
import org.vmlab.storage.nbd.NbdClient;

/**
 * Opens the copy-on-read disks of VMs arriving with their storage, and hands each to whoever on
 * this node waits for that migration's disk (a migration to this node's own receiver).
 */
final class IncomingDiskTable {
    static final int STREAMS = 4;
    static final int READ_AHEAD = 64;

    private final Map<String, CompletableFuture<MigratingDisk>> waiting = new ConcurrentHashMap<>();
    private final Consumer<Path> release;

    /** @param release stops serving an image as a cache export (a pre-cached copy becoming the VM's disk) */
    IncomingDiskTable(Consumer<Path> release) {
        this.release = release;
    }

    Optional<BlockDevice> open(VmSpec spec) {
        Optional<DeviceSpec> d = spec.devices().stream()
                .filter(x -> IncomingDisks.DEVICE_TYPE.equals(x.type())).findFirst();
        if (d.isEmpty()) {
            return Optional.empty();
        }
        Map<String, String> p = d.get().properties();
        String source = required(p, "source", spec);
        int slash = source.indexOf('/');
        if (slash <= 0) {
            throw new IllegalArgumentException("the disk source of VM '" + spec.name() + "' is not host:port/export: "
                    + source);
        }
        Endpoint from = Endpoint.parse(source.substring(0, slash));
        String export = source.substring(slash + 1);
        Path image = Path.of(required(p, "image", spec)).toAbsolutePath().normalize();
        Optional<Path> bitmap = Optional.ofNullable(p.get("bitmap")).map(Path::of);
        List<NbdClient> sources;
        try {
            sources = NbdClient.connectAll(from.host(), from.port(), export, STREAMS, 64, 10_000);
        } catch (IOException e) {
            throw new VmlabException("cannot reach the disk of VM '" + spec.name() + "' at " + source + ": "
                    + e.getMessage(), e);
        }
        FileBlockDevice local = null;
        try {
            release.accept(image);
            long size = sources.get(0).size();
            local = FileBlockDevice.open(image, size, false);
            if (local.size() != size) {
                throw new IllegalArgumentException("the image " + image + " has " + local.size()
                        + " bytes, the source's disk " + size);
            }
            BlockBitmap bits = bitmap.map(b -> BlockBitmap.open(b, size / FileBlockDevice.BLOCK_SIZE))
                    .orElseGet(() -> BlockBitmap.inMemory(size / FileBlockDevice.BLOCK_SIZE));
            EvacuationPlan plan = new EvacuationPlan(from, export, image,
                    bitmap.orElse(Path.of(image + ".bitmap")), spec.name(), READ_AHEAD, STREAMS,
                    Boolean.parseBoolean(p.get("verify")), Map.of());
            MigratingDisk disk = new MigratingDisk(spec.name(), plan, local, bits, sources);
            CompletableFuture<MigratingDisk> w = waiting.remove(p.getOrDefault("migration", ""));
            if (w != null) {
                w.complete(disk);
            }
            return Optional.of(disk);
        } catch (RuntimeException e) {
            sources.forEach(NbdClient::close);
            if (local != null) {
                local.close();
            }
            throw e;
        }
    }

    /** Completes with the disk migration {@code migrationId} brings here; call before it starts. */
    CompletableFuture<MigratingDisk> await(String migrationId) {
        return waiting.computeIfAbsent(migrationId, k -> new CompletableFuture<>());
    }

    /** Stops waiting for a migration's disk (it failed before the disk was opened). */
    void forget(String migrationId) {
        waiting.remove(migrationId);
    }

    private static String required(Map<String, String> p, String key, VmSpec spec) {
        String v = p.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("the disk source of VM '" + spec.name() + "' has no " + key);
        }
        return v;
    }
}
