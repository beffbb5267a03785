package org.vmlab.cluster;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

import com.hazelcast.map.IMap;

import org.vmlab.api.cluster.ClusterMigration;
import org.vmlab.api.cluster.ClusterNode;
import org.vmlab.api.cluster.ClusterVm;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationService;
import org.vmlab.api.migration.ReceiverEndpoint;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;

/**
 * Writes this node's own records, and only those, into the cluster's maps: its node record, one
 * record per VM ({@code node/vm} keys) and per migration ({@code node/id}); removes the ones of
 * VMs that left it. Writes a record only when it changed, so a quiet node sends nothing.
 */
final class Publisher {
    /** What the publisher reads on this node; each may be absent (feature not installed). */
    record Sources(Supplier<VmDirectory> vms, Supplier<MigrationService> migrations,
                   Supplier<ReceiverEndpoint> receiver) {
    }

    private final ClusterSettings settings;
    private final HazelcastMember member;
    private final Sources sources;
    private final String version;
    private final LoadMeter meter = new LoadMeter();
    private final Map<String, String> written = new HashMap<>();
    private static final int FULL_REWRITE_EVERY = 10;
    private long publications;

    Publisher(ClusterSettings settings, HazelcastMember member, Sources sources, String version) {
        this.settings = settings;
        this.member = member;
        this.sources = sources;
        this.version = version;
    }

    /** Publishes now; called on a schedule and right after this node's migrations end. */
    synchronized void publish() {
        if (++publications % FULL_REWRITE_EVERY == 0) {
            written.clear(); // heals what a merge or another node's lost-marking changed meanwhile
        }
        String node = settings.node();
        long now = System.currentTimeMillis();
        VmDirectory dir = sources.vms().get();
        List<Vm> vms = dir == null ? List.of() : dir.vms();
        Map<String, Double> load = meter.measure(vms);
        Map<String, String> vmRecords = new HashMap<>();
        long used = 0;
        double busy = 0;
        for (Vm vm : vms) {
            double l = load.getOrDefault(vm.id(), (double) vm.spec().vcpus());
            used += vm.spec().memoryBytes();
            busy += l;
            vmRecords.put(node + "/" + vm.id(), Records.write(new ClusterVm(vm.id(), node, vm.backend(),
                    vm.state().name(), vm.spec().memoryBytes(), vm.spec().vcpus(),
                    vm.workload().map(w -> w.workload()).orElse("-"), round(l), false, 0)));
        }
        sync(member.map(HazelcastMember.VMS), node, vmRecords);
        sync(member.map(HazelcastMember.MIGRATIONS), node, migrationRecords(node));
        ReceiverEndpoint r = sources.receiver().get();
        Endpoint dataPlane = r == null ? null : r.endpoint();
        ClusterNode self = new ClusterNode(node, settings.member().toString(), ClusterNode.NodeState.UP, version,
                dataPlane, settings.cpus(), settings.memoryBytes(), settings.memoryBytes() - used,
                ClusterSettings.freePhysicalMemory(), vms.size(), round(busy), 0);
        // The time stamp changes every call: compare without it, and stamp it only when writing.
        putIfChanged(member.map(HazelcastMember.NODES), node, Records.write(self),
                () -> Records.write(new ClusterNode(self.name(), self.member(), self.state(), version, dataPlane,
                        self.cpus(), self.memoryBytes(), self.freeBytes(), self.hostFreeBytes(), self.vms(),
                        self.cpuLoad(), now)));
    }

    private Map<String, String> migrationRecords(String node) {
        MigrationService ms = sources.migrations().get();
        Map<String, String> out = new HashMap<>();
        if (ms == null) {
            return out;
        }
        Map<String, String> nodeAt = new HashMap<>(); // data plane -> node name, to show names
        for (String json : member.map(HazelcastMember.NODES).values()) {
            ClusterNode n = Records.read(json, ClusterNode.class);
            if (n != null && n.dataPlane() != null) {
                nodeAt.put(n.dataPlane().toString(), n.name());
            }
        }
        for (Migration m : ms.migrations()) {
            MigrationReport report = m.result().toCompletableFuture().getNow(null);
            Endpoint to = m.plan().destination();
            long bytes = report != null ? report.bytesNetwork() : m.progress().map(p -> p.bytesNetwork()).orElse(0L);
            long ms2 = report != null ? report.totalTimeMs() : m.progress().map(p -> (long) (p.seconds() * 1000)).orElse(0L);
            out.put(node + "/" + m.id(), Records.write(new ClusterMigration(m.id(), m.plan().vmId(), node,
                    to == null ? node : nodeAt.getOrDefault(to.toString(), to.toString()), m.plan().engine(), m.status().name().toLowerCase(Locale.ROOT),
                    bytes, ms2, report == null ? "-" : report.verified().name().toLowerCase(Locale.ROOT), false, 0)));
        }
        return out;
    }

    /** Makes this node's entries of {@code map} exactly {@code records}. */
    private void sync(IMap<String, String> map, String node, Map<String, String> records) {
        String prefix = node + "/";
        for (String key : map.keySet()) {
            if (key.startsWith(prefix) && !records.containsKey(key)) {
                map.remove(key);
                written.remove(map.getName() + "|" + key);
            }
        }
        records.forEach((k, v) -> putIfChanged(map, k, v, () -> v));
    }

    private void putIfChanged(IMap<String, String> map, String key, String comparable, Supplier<String> value) {
        String id = map.getName() + "|" + key;
        if (!Objects.equals(written.get(id), comparable)) {
            map.set(key, value.get());
            written.put(id, comparable);
        }
    }

    /** Forget what was written, so the next publication rewrites everything (after a merge). */
    synchronized void rewriteAll() {
        written.clear();
    }

    private static double round(double load) {
        return Math.round(load * 100) / 100.0;
    }
}
