package org.vmlab.storage;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationService;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.storage.EvacuationPlan;
import org.vmlab.api.storage.IncomingDisks;
import org.vmlab.api.storage.StorageMigrationReport;
import org.vmlab.api.storage.EvacuationReport;
import org.vmlab.api.storage.ExportInfo;
import org.vmlab.api.storage.NbdServerStatus;
import org.vmlab.api.storage.PrecacheOptions;
import org.vmlab.api.storage.PrecacheStatus;
import org.vmlab.api.storage.StoragePrecacher;
import org.vmlab.api.storage.StorageService;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.storage.nbd.NbdServer;
import org.vmlab.storage.nbd.NbdServerStats;
import org.vmlab.transport.LinkModel;
import org.vmlab.transport.WanLink;

/**
 * This node's block storage: the NBD server configured by {@code org.vmlab.storage} (loopback by
 * default), its exports, pre-caching of VM disks through the {@code vmlab.family=storage}
 * strategies, and evacuations of disks to this node.
 */
@Component(service = {StorageService.class, IncomingDisks.class}, configurationPid = "org.vmlab.storage", immediate = true)
@Designate(ocd = StorageConfig.class)
public final class DefaultStorageService implements StorageService, IncomingDisks {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultStorageService.class);

    private final NbdServer server;
    private final String host;
    private final Exports exports;
    private final Path dataDir;
    private final Map<String, PrecacheEntry> precaching = new ConcurrentHashMap<>();
    private final Map<String, StoragePrecacher> strategies = new ConcurrentHashMap<>();

    private final IncomingDiskTable incoming;
    private final StorageMigrations withStorage;

    private volatile VmDirectory vms;
    private volatile MigrationService migrations;

    @Activate
    public DefaultStorageService(StorageConfig config) throws IOException {
        this.dataDir = config.dataDir().isBlank()
                ? Path.of(System.getProperty("karaf.data", System.getProperty("java.io.tmpdir")), "vmlab", "storage")
                : Path.of(config.dataDir());
        Files.createDirectories(dataDir);
        this.host = config.host();
        this.server = NbdServer.start(config.host(), config.port(), config.maxConnections(),
                config.handshakeTimeoutSeconds() * 1000);
        this.exports = new Exports(server, dataDir);
        this.incoming = new IncomingDiskTable(exports::release);
        this.withStorage = new StorageMigrations(exports, incoming, config.host(), server.port(), vm -> {
            if (precaching.containsKey(vm)) {
                precacheStop(vm);
            }
        });
        for (String e : config.exports()) {
            if (!e.isBlank()) {
                try {
                    exports.addConfigured(e.trim());
                } catch (RuntimeException ex) {
                    LOG.warn("storage: export '{}' from org.vmlab.storage not served: {}", e, ex.getMessage());
                }
            }
        }
        LOG.info("vmlab NBD server on {}:{}", config.host(), server.port());
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            target = "(vmlab.family=storage)")
    void bindPrecacher(StoragePrecacher p, Map<String, Object> props) {
        strategies.put(String.valueOf(props.get("vmlab.name")), p);
    }

    void unbindPrecacher(StoragePrecacher p, Map<String, Object> props) {
        strategies.remove(String.valueOf(props.get("vmlab.name")), p);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, unbind = "unsetVms")
    void setVms(VmDirectory d) {
        vms = d;
    }

    void unsetVms(VmDirectory d) {
        if (vms == d) {
            vms = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, unbind = "unsetMigrations")
    void setMigrations(MigrationService m) {
        migrations = m;
    }

    void unsetMigrations(MigrationService m) {
        if (migrations == m) {
            migrations = null;
        }
    }

    @Deactivate
    void deactivate() {
        precaching.values().forEach(PrecacheEntry::close);
        precaching.clear();
        server.close();
        exports.close();
    }

    @Override
    public NbdServerStatus server() {
        NbdServerStats.Snapshot s = server.stats();
        return new NbdServerStatus(host, server.port(), exports.infos(), s.connections(), server.activeConnections(),
                s.requests(), s.bytesRead(), s.bytesWritten(), s.errors());
    }

    @Override
    public ExportInfo exportImage(String name, Path image, long createBytes, Optional<Path> bitmap, boolean readOnly) {
        return exports.addImage(name, image, createBytes, bitmap.orElse(null), readOnly);
    }

    @Override
    public ExportInfo exportVm(String vm) {
        return exports.addVm(findVm(vm));
    }

    @Override
    public void unexport(String name) {
        exports.remove(name);
    }

    private Vm findVm(String id) {
        VmDirectory d = vms;
        if (d == null) {
            throw new VmlabException("no VM backend is installed (feature:install vmlab-emu)");
        }
        return d.find(id).orElseThrow(() -> new IllegalArgumentException("no VM '" + id + "'; VMs: "
                + d.vms().stream().map(Vm::id).toList()));
    }

    @Override
    public PrecacheStatus precacheStart(String vm, Endpoint backupSite, String export, String strategy,
                                        PrecacheOptions options) {
        StoragePrecacher p = strategies.get(strategy);
        if (p == null) {
            throw new IllegalArgumentException("no pre-caching strategy '" + strategy + "'; installed: "
                    + String.join(", ", strategies.keySet().stream().sorted().toList()));
        }
        Vm v = findVm(vm);
        var disk = v.disk().orElseThrow(() -> new IllegalArgumentException("VM '" + vm + "' has no disk"));
        if (precaching.containsKey(vm)) {
            throw new IllegalArgumentException("VM '" + vm + "' is already pre-caching (storage:precache stop " + vm
                    + " first)");
        }
        Map<String, String> rest = new HashMap<>();
        LinkModel model = LinkParameters.take(options.parameters(), rest);
        rest.putIfAbsent("export", export);
        if (p.options().stream().anyMatch(o -> o.name().equals("bitmap"))) {
            rest.putIfAbsent("bitmap", dataDir.resolve("precache-" + vm + ".bitmap").toString());
        }
        WanLink link = null;
        Endpoint target = backupSite;
        try {
            if (model != null) {
                link = WanLink.start(model, new InetSocketAddress(backupSite.host(), backupSite.port()));
                target = new Endpoint("127.0.0.1", link.port());
            }
            var session = p.start(disk, target, new PrecacheOptions(options.wanRate(), options.interval(), rest));
            PrecacheEntry e = new PrecacheEntry(vm, strategy, backupSite, export, session, link, options.wanRate(),
                    System.currentTimeMillis());
            precaching.put(vm, e);
            return e.status();
        } catch (IOException | RuntimeException ex) {
            if (link != null) {
                link.close();
            }
            if (ex instanceof RuntimeException r) {
                throw r;
            }
            throw new VmlabException("cannot emulate the WAN link: " + ex.getMessage(), ex);
        }
    }

    @Override
    public Optional<PrecacheStatus> precacheStatus(String vm) {
        return Optional.ofNullable(precaching.get(vm)).map(PrecacheEntry::status);
    }

    @Override
    public List<PrecacheStatus> precacheStatuses() {
        List<PrecacheStatus> l = new ArrayList<>();
        precaching.values().forEach(e -> l.add(e.status()));
        return l;
    }

    @Override
    public PrecacheStatus precacheStop(String vm) {
        PrecacheEntry e = precaching.remove(vm);
        if (e == null) {
            throw new IllegalArgumentException("VM '" + vm + "' is not pre-caching");
        }
        e.close();
        return e.status("stopped");
    }

    @Override
    public EvacuationReport evacuate(EvacuationPlan plan, Consumer<String> progress) {
        return exports.evacuate(plan, progress);
    }

    @Override
    public Optional<BlockDevice> open(VmSpec spec) {
        return incoming.open(spec);
    }

    @Override
    public StorageMigrationReport migrateWithStorage(MigrationPlan plan, Path image, Optional<Path> bitmap,
                                                     MigrationListener listener) {
        MigrationService m = migrations;
        if (m == null) {
            throw new VmlabException("no migration service is installed (feature:install vmlab-engines)");
        }
        return withStorage.migrate(m, findVm(plan.vmId()), plan, image, bitmap, listener);
    }
}
