package org.vmlab.shell.migration;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.vmlab.api.DataRate;
import org.vmlab.api.VmlabException;
import org.vmlab.api.cluster.Cluster;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.migration.LinkSpec;
import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationService;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.migration.TimelineSample;
import org.vmlab.api.provider.Family;
import org.vmlab.api.storage.StorageMigrationReport;
import org.vmlab.api.storage.StorageService;
import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.shell.cluster.NodeCompleter;
import org.vmlab.shell.support.DetectorCompleter;
import org.vmlab.shell.support.DiskReports;
import org.vmlab.shell.support.EngineCompleter;
import org.vmlab.shell.support.EngineOptionCompleter;
import org.vmlab.shell.support.Json;
import org.vmlab.shell.support.OrderingCompleter;
import org.vmlab.shell.support.Providers;
import org.vmlab.shell.support.Reports;
import org.vmlab.shell.support.SettingHelp;
import org.vmlab.shell.support.VmCompleter;

@Service
@Command(scope = "migration", name = "start", description = "Live-migrates a VM and waits for the end, showing progress on a terminal. "
        + "Without --to, the VM goes to this instance's own receiver over real TCP on loopback.")
public class MigrationStartCommand implements Action {

    // Optional, so the bundle's other commands still register in a distribution without engines.
    @Reference(optional = true)
    MigrationService migrations;

    @Reference
    Session session;

    @Reference
    ProviderCatalog catalog;

    // Not required, so that --option help works without one; execute() asks for it otherwise.
    @Argument(index = 0, name = "vm", description = "VM id (required unless --option help)")
    @Completion(VmCompleter.class)
    String vm;

    @Reference(optional = true)
    Cluster cluster;

    @Option(name = "--to", description = "Destination: a cluster node's name, or a receiver's host:port (default: this instance's receiver)")
    @Completion(NodeCompleter.class)
    String to;

    @Option(name = "--engine", aliases = "-e", description = "Transfer engine (default: the family default)")
    @Completion(EngineCompleter.class)
    String engine;

    @Option(name = "--ordering", aliases = "-o", description = "Page ordering policy (default: the family default)")
    @Completion(OrderingCompleter.class)
    String ordering;

    @Option(name = "--rate", aliases = "-r", description = "Link rate limit, e.g. 1g, 100m (bits/s; default unlimited)")
    String rate;

    @Option(name = "--detector", aliases = "-d", description = "Page-cache detector: restorable page cache crosses as"
            + " (frame, block) references and the destination reads it from the SAN (needs --san-rate)")
    @Completion(DetectorCompleter.class)
    String detector;

    @Option(name = "--san-rate", description = "SAN path rate limit, e.g. 1g (bits/s; 'unlimited' for none); with --detector")
    String sanRate;

    @Option(name = "--san-latency", description = "What each SAN request costs in ms beside its bytes (default: option san-latency, 1 ms)")
    Double sanLatencyMs;

    @Option(name = "--downtime-limit", description = "Downtime target in ms (default 300, as QEMU)")
    long downtimeLimitMs = MigrationPlan.DEFAULT_DOWNTIME_LIMIT.toMillis();

    @Option(name = "--max-rounds", description = "Switch over after this many rounds at most (default 30)")
    Integer maxRounds;

    @Option(name = "--streams", description = "Parallel TCP streams (default 1)")
    Integer streams;

    @Option(name = "--compress", description = "Compress pages on the wire (LZ4)")
    boolean compress;

    @Option(name = "--verify", description = "Compare destination memory with the source at the pause and check the workload's invariant")
    boolean verify;

    @Option(name = "--option", multiValued = true, description = "Engine or ordering option name=value; repeat for several. "
            + "--option help lists the options of the chosen engine and ordering")
    @Completion(EngineOptionCompleter.class)
    List<String> options;

    @Option(name = "--with-storage", description = "Move the disk too: this node serves it over NBD, the destination runs "
            + "the VM at once on a copy-on-read disk (--storage-image; blocks in --storage-bitmap are there already, "
            + "missing ones are fetched on access with read-ahead, a background copy fills the rest); --verify covers "
            + "memory and the whole disk")
    boolean withStorage;

    @Option(name = "--storage-image", description = "With --with-storage: the disk image at the destination")
    @Completion(FileCompleter.class)
    String storageImage;

    @Option(name = "--storage-bitmap", description = "With --with-storage: at the destination, the bitmap of the blocks "
            + "--storage-image holds already (a pre-caching's backup export bitmap)")
    @Completion(FileCompleter.class)
    String storageBitmap;

    @Reference(optional = true)
    StorageService storage;

    @Option(name = "--async", description = "Print the migration id and return at once")
    boolean async;

    @Option(name = "--json", description = "Print the report (or, with --async, the id) as one JSON object")
    boolean json;

    @Override
    public Object execute() throws Exception {
        if (options != null && options.contains(SettingHelp.HELP)) {
            new SettingHelp(json, System.out).show("migration:start --option", List.of(
                    Providers.named(catalog, Family.ENGINE, engine), Providers.named(catalog, Family.ORDERING, ordering)));
            return null;
        }
        if (vm == null) {
            throw new IllegalArgumentException("migration:start needs the VM to migrate: migration:start [options] vm");
        }
        Migrations.require(migrations);
        MigrationPlan.Builder plan = MigrationPlan.builder(vm).engine(engine).ordering(ordering)
                .downtimeLimit(Duration.ofMillis(downtimeLimitMs)).compress(compress).verify(verify);
        if (to != null) {
            plan.destination(destination(to));
        }
        if (rate != null) {
            plan.network(LinkSpec.of(DataRate.parse(rate)));
        }
        if (detector != null) {
            plan.detector(detector);
        }
        if (sanRate != null || sanLatencyMs != null) {
            if (sanLatencyMs != null && sanLatencyMs < 0) {
                throw new IllegalArgumentException("--san-latency must be >= 0 ms, not " + sanLatencyMs);
            }
            plan.san(new LinkSpec(sanRate == null ? DataRate.UNLIMITED : DataRate.parse(sanRate),
                    Duration.ofNanos(sanLatencyMs == null ? 0 : (long) (sanLatencyMs * 1e6))));
        }
        if (maxRounds != null) {
            plan.maxRounds(maxRounds);
        }
        if (streams != null) {
            plan.streams(streams);
        }
        if (options != null) {
            for (String o : options) {
                int eq = o.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--option takes name=value, not '" + o + "'");
                }
                plan.option(o.substring(0, eq), o.substring(eq + 1));
            }
        }
        boolean progress = !async && !json && isTerminal();
        // System.out is bound to this command's session only on this thread: hand the stream over.
        java.io.PrintStream out = System.out;
        if (withStorage) {
            return withStorage(plan.build(), progress ? new ProgressLine(out) : MigrationListener.NONE, progress);
        }
        if (storageImage != null || storageBitmap != null) {
            throw new IllegalArgumentException("--storage-image and --storage-bitmap go with --with-storage");
        }
        Migration m = migrations.start(plan.build(), progress ? new ProgressLine(out) : MigrationListener.NONE);
        if (async) {
            System.out.println(json ? Json.write(Map.of("id", m.id())) : m.id());
            return null;
        }
        MigrationReport report;
        try {
            report = m.result().toCompletableFuture().get();
        } catch (InterruptedException e) {
            m.cancel(); // Ctrl-C, or the script's bin/vmlab went away: do not leave it running
            Thread.currentThread().interrupt();
            throw new VmlabException("interrupted: migration " + m.id() + " cancelled");
        } catch (ExecutionException e) {
            throw new VmlabException("migration " + m.id() + " failed: " + e.getCause().getMessage(), e.getCause());
        }
        if (progress) {
            System.out.println();
        }
        if (json) {
            System.out.println(Json.write(report));
        } else {
            Reports.print(report, System.out);
        }
        if (report.status() != MigrationStatus.COMPLETED) {
            throw new VmlabException("migration " + report.id() + " " + report.status().name().toLowerCase() + ": " + report.failureReason());
        }
        return null;
    }

    /** Memory and disk in one go; the storage service waits for both. */
    private Object withStorage(MigrationPlan plan, MigrationListener listener, boolean progress) {
        if (storage == null) {
            throw new VmlabException("--with-storage needs the storage feature (feature:install vmlab-storage)");
        }
        if (storageImage == null) {
            throw new IllegalArgumentException("--with-storage needs --storage-image, the disk image at the destination");
        }
        if (async) {
            throw new IllegalArgumentException("--with-storage waits for memory and disk: it does not take --async");
        }
        StorageMigrationReport r = storage.migrateWithStorage(plan, Path.of(storageImage),
                Optional.ofNullable(storageBitmap).map(Path::of), listener);
        if (progress) {
            System.out.println();
        }
        if (json) {
            System.out.println(Json.write(r));
        } else {
            Reports.print(r.memory(), System.out);
            if (r.disk() != null) {
                DiskReports.print("Disk", r.disk(), System.out);
            } else if (r.memory().isCompleted()) {
                System.out.println("Disk: the destination fetches it from this node's NBD export migrate-" + plan.id()
                        + " (storage:unexport it once the destination has it all)");
            }
        }
        if (!r.memory().isCompleted()) {
            throw new VmlabException("migration " + plan.id() + " " + r.memory().status().name().toLowerCase() + ": "
                    + r.memory().failureReason());
        }
        if (r.disk() != null && !r.disk().completed()) {
            throw new VmlabException("migration " + plan.id() + ": memory moved, the disk " + r.disk().status());
        }
        return null;
    }

    /** A host:port as it is; anything else names a cluster node, resolved to its data plane. */
    private Endpoint destination(String text) {
        if (text.indexOf(':') >= 0) {
            return Endpoint.parse(text);
        }
        if (cluster == null) {
            throw new IllegalArgumentException("--to " + text + ": not host:port, and this node is not in a cluster"
                    + " to find a node of that name");
        }
        return cluster.dataPlane(text);
    }

    private boolean isTerminal() {
        Object tty = session.get("vmlab.tty");
        return tty instanceof Boolean b ? b : session.getTerminal() != null && !"dumb".equals(session.getTerminal().getType());
    }

    /** Rewrites one line in place as the migration goes. */
    private final class ProgressLine implements MigrationListener {
        private final java.io.PrintStream out;

        ProgressLine(java.io.PrintStream out) {
            this.out = out;
        }

        @Override
        public void onProgress(TimelineSample sample) {
            out.print(Reports.progressLine(vm, sample));
            out.flush();
        }
    }
}
