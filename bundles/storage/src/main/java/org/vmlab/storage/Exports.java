package org.vmlab.storage;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import org.vmlab.api.VmlabException;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.storage.EvacuationPlan;
import org.vmlab.api.storage.EvacuationReport;
import org.vmlab.api.storage.ExportInfo;
import org.vmlab.api.vm.Vm;
import org.vmlab.storage.block.BlockBitmap;
import org.vmlab.storage.block.BlockDeviceRanges;
import org.vmlab.storage.block.FileBlockDevice;
import org.vmlab.storage.evacuate.CopyOnReadDevice;
import org.vmlab.storage.evacuate.Evacuation;
import org.vmlab.storage.nbd.DeviceExport;
import org.vmlab.storage.nbd.NbdClient;
import org.vmlab.storage.nbd.NbdServer;
import org.vmlab.transport.LinkModel;
import org.vmlab.transport.WanLink;

/** The exports of this node's NBD server and what each holds open (image file, bitmap). */
final class Exports {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    /** One export and what to close with it. */
    private record Entry(DeviceExport export, String image, List<AutoCloseable> resources) {
    }

    private final NbdServer server;
    private final Path dataDir;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    Exports(NbdServer server, Path dataDir) {
        this.server = server;
        this.dataDir = dataDir;
    }

    /** {@code name=/path[;readonly|;cache]} from the configuration. */
    void addConfigured(String spec) {
        int eq = spec.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("not name=/path: '" + spec + "'");
        }
        String name = spec.substring(0, eq).trim();
        String[] parts = spec.substring(eq + 1).split(";");
        boolean ro = false;
        boolean cache = false;
        for (int i = 1; i < parts.length; i++) {
            switch (parts[i].trim()) {
                case "readonly" -> ro = true;
                case "cache" -> cache = true;
                default -> throw new IllegalArgumentException("unknown export flag '" + parts[i] + "' (readonly, cache)");
            }
        }
        addImage(name, Path.of(parts[0].trim()), 0, cache ? dataDir.resolve(name + ".bitmap") : null, ro);
    }

    ExportInfo addImage(String name, Path image, long createBytes, Path bitmap, boolean readOnly) {
        checkName(name);
        if (createBytes <= 0 && !Files.exists(image)) {
            throw new IllegalArgumentException("no image " + image + " (give a size to create it)");
        }
        if (createBytes % 4096 != 0) {
            throw new IllegalArgumentException("the size must be a multiple of 4 KiB: " + createBytes);
        }
        FileBlockDevice dev = FileBlockDevice.open(image, createBytes, readOnly);
        BlockBitmap bits = null;
        try {
            bits = bitmap == null ? null : BlockBitmap.open(bitmap, dev.blockCount());
        } catch (RuntimeException e) {
            dev.close();
            throw e;
        }
        List<AutoCloseable> res = bits == null ? List.of(dev) : List.of(bits, dev);
        return add(new DeviceExport(name, "image " + image, dev, bits, bits != null), image.toString(), res);
    }

    /**
     * A migrating VM's image, read-only, whose {@code vmlab:cached} context clears the blocks in
     * {@code unchanged} the VM writes from now on, so the destination can tell its stale copies.
     */
    ExportInfo addMigrationSource(String name, Path image, BlockBitmap unchanged) {
        checkName(name);
        FileBlockDevice dev = FileBlockDevice.open(image, 0, true);
        return add(new DeviceExport(name, "migrating disk " + image, dev, unchanged), image.toString(), List.of(dev));
    }

    ExportInfo addVm(Vm vm) {
        var disk = vm.disk().orElseThrow(() -> new IllegalArgumentException("VM '" + vm.id() + "' has no disk"));
        checkName(vm.id());
        // The VM owns its disk: closing the export must not close it.
        return add(new DeviceExport(vm.id(), "disk of VM " + vm.id(), BlockDeviceRanges.of(disk), null),
                "vm:" + vm.id(), List.of());
    }

    private ExportInfo add(DeviceExport e, String image, List<AutoCloseable> resources) {
        if (entries.putIfAbsent(e.name(), new Entry(e, image, resources)) != null) {
            resources.forEach(Exports::closeQuietly);
            throw new IllegalArgumentException("export '" + e.name() + "' exists already (storage:unexport it first)");
        }
        server.addExport(e);
        return info(entries.get(e.name()));
    }

    void remove(String name) {
        Entry e = entries.remove(name);
        if (e == null) {
            throw new IllegalArgumentException("no export '" + name + "'; exports: " + entries.keySet());
        }
        server.removeExport(name);
        e.resources().forEach(Exports::closeQuietly);
    }

    List<ExportInfo> infos() {
        List<ExportInfo> l = new ArrayList<>();
        for (var e : server.exports()) {
            Entry en = entries.get(e.name());
            if (en != null) {
                l.add(info(en));
            }
        }
        return l;
    }

    private static ExportInfo info(Entry e) {
        long blocks = e.export().size() / 4096;
        long cached = e.export().cacheBitmap().map(BlockBitmap::cardinality).orElse(blocks);
        return new ExportInfo(e.export().name(), e.image(), e.export().size(), e.export().isReadOnly(), cached, blocks);
    }

    /** The pre-cached copy being served as a cache export becomes a moved disk: stop serving it as a cache. */
    void release(Path image) {
        for (Map.Entry<String, Entry> e : Map.copyOf(entries).entrySet()) {
            if (e.getValue().image().equals(image.toString())) {
                remove(e.getKey());
            }
        }
    }

    /** Serves the disk at once from a copy-on-read device, fills it, verifies, switches. */
    EvacuationReport evacuate(EvacuationPlan plan, Consumer<String> progress) {
        checkName(plan.export());
        release(plan.image());
        if (entries.containsKey(plan.export())) {
            throw new IllegalArgumentException("export '" + plan.export() + "' exists already");
        }
        List<NbdClient> sources;
        WanLink wan = null;
        try {
            Endpoint to = plan.source();
            LinkModel model = LinkParameters.take(plan.link(), new java.util.HashMap<>());
            if (model != null) {
                wan = WanLink.start(model, new InetSocketAddress(to.host(), to.port()));
                to = new Endpoint("127.0.0.1", wan.port());
            }
            sources = NbdClient.connectAll(to.host(), to.port(), plan.sourceExport(), plan.streams(), 64, 10_000);
        } catch (IOException e) {
            if (wan != null) {
                wan.close();
            }
            throw new VmlabException("cannot reach the source " + plan.source().host() + ":" + plan.source().port()
                    + " export '" + plan.sourceExport() + "': " + e.getMessage(), e);
        }
        long size = sources.get(0).size();
        FileBlockDevice local = FileBlockDevice.open(plan.image(), size, false);
        if (local.size() != size) {
            local.close();
            sources.forEach(NbdClient::close);
            if (wan != null) {
                wan.close();
            }
            throw new IllegalArgumentException("the local image " + plan.image() + " has " + local.size()
                    + " bytes, the source's disk " + size);
        }
        BlockBitmap bits = BlockBitmap.open(plan.bitmap(), local.blockCount());
        CopyOnReadDevice dev = new CopyOnReadDevice(local, bits, sources, plan.readAhead());
        add(new DeviceExport(plan.export(), "evacuated from " + plan.source().host() + ":" + plan.source().port(),
                dev, bits), plan.image().toString(), List.of(bits, local));
        progress.accept(String.format("serving '%s' now: %d of %d blocks already here (pre-cached)", plan.export(),
                bits.cardinality(), bits.size()));
        try {
            return new Evacuation(plan, dev, sources).run(progress);
        } finally {
            if (wan != null) {
                wan.close();
            }
        }
    }

    private static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad export name '" + name + "': letters, digits, . _ - (at most 128)");
        }
    }

    void close() {
        for (String n : List.copyOf(entries.keySet())) {
            Entry e = entries.remove(n);
            if (e != null) {
                e.resources().forEach(Exports::closeQuietly);
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing anyway
        }
    }
}
