package org.vmlab.cluster;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.LifecycleEvent;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.cluster.Cluster;
import org.vmlab.api.cluster.ClusterEvent;
import org.vmlab.api.cluster.ClusterListener;
import org.vmlab.api.cluster.ClusterMigration;
import org.vmlab.api.cluster.ClusterNode;
import org.vmlab.api.cluster.ClusterVm;
import org.vmlab.api.cluster.Leadership;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.migration.MigrationService;
import org.vmlab.api.migration.ReceiverEndpoint;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.transport.SharedSecret;

/**
 * This node as a member of a vmlab cluster on Hazelcast. Exists only while
 * {@code etc/org.vmlab.cluster.cfg} does: a distribution without it opens no cluster port.
 */
@Component(service = {Cluster.class, OrderChannel.class}, configurationPid = "org.vmlab.cluster",
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
@Designate(ocd = ClusterConfig.class)
public final class HazelcastCluster implements Cluster, OrderChannel {
    private static final Logger LOG = LoggerFactory.getLogger(HazelcastCluster.class);

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile VmDirectory directory;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile MigrationService migrationService;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ReceiverEndpoint receiver;
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private final List<ClusterListener> listeners = new CopyOnWriteArrayList<>();

    private ClusterSettings settings;
    private HazelcastMember member;
    private TlsRelay relay;
    private LeaderElection election;
    private MembershipWatcher watcher;
    private Publisher publisher;
    private OrderDesk desk;
    private ScheduledExecutorService clusterThread;
    private ScheduledExecutorService publishThread;
    private ExecutorService orderPool;

    @Activate
    void activate(BundleContext context, ClusterConfig config) throws IOException {
        Path data = Path.of(context.getProperty("karaf.data") == null ? "data" : context.getProperty("karaf.data"));
        settings = ClusterSettings.of(config, data);
        SharedSecret secret = SharedSecret.loadOrCreate(settings.secretFile());
        String version = context.getBundle().getVersion().toString();
        clusterThread = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "vmlab-cluster"));
        // Publication has its own thread, so a slow election or lost-marking never delays it.
        publishThread = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "vmlab-cluster-publish"));
        AtomicInteger n = new AtomicInteger();
        orderPool = Executors.newCachedThreadPool(r -> daemon(r, "vmlab-cluster-order-" + n.incrementAndGet()));
        try {
            if (settings.tls() != null) {
                relay = TlsRelay.start(settings, secret);
            }
            member = HazelcastMember.start(settings, secret, version);
            refuseDuplicateName();
            election = new LeaderElection(member, settings);
            watcher = new MembershipWatcher(member, election, clusterThread, this::notifyListeners);
            member.instance().getCluster().addMembershipListener(watcher);
            publisher = new Publisher(settings, member,
                    new Publisher.Sources(() -> directory, () -> migrationService, () -> receiver), version);
            desk = new OrderDesk(settings, secret, member, election, () -> migrationService, publisher::publish, orderPool);
            member.map(HazelcastMember.ORDERS).addEntryListener(desk, true);
            member.instance().getLifecycleService().addLifecycleListener(e -> {
                if (e.getState() == LifecycleEvent.LifecycleState.MERGED) {
                    LOG.info("cluster split healed: this node merged back; republishing its records");
                    publishThread.execute(publisher::rewriteAll);
                    clusterThread.execute(election::onMembershipChange);
                }
            });
            publisher.publish(); // the node record is there before the service is
            watcher.start();
            publishThread.scheduleWithFixedDelay(this::publishQuietly, settings.publishMillis(), settings.publishMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            deactivate();
            throw e;
        }
        LOG.info("cluster node {} joined cluster '{}' at {}{}: {} members", settings.node(), settings.name(),
                settings.member(), relay == null ? "" : " (engine on loopback behind the TLS relay)", member.members().size());
    }

    private void refuseDuplicateName() {
        long same = member.members().stream().filter(m -> HazelcastMember.nodeName(m).equals(settings.node())).count();
        if (same > 1) {
            throw new IllegalStateException("another member is already named '" + settings.node()
                    + "': set a unique 'node' in etc/org.vmlab.cluster.cfg");
        }
    }

    @Deactivate
    void deactivate() {
        if (clusterThread != null) {
            clusterThread.shutdownNow();
        }
        if (publishThread != null) {
            publishThread.shutdownNow();
        }
        if (orderPool != null) {
            orderPool.shutdownNow();
        }
        if (member != null) {
            member.close();
            member = null;
        }
        if (relay != null) {
            relay.close();
            relay = null;
        }
    }

    private void publishQuietly() {
        try {
            if (member != null && member.running()) {
                publisher.publish();
            }
        } catch (RuntimeException e) {
            LOG.debug("cluster publication failed (will retry): {}", e.toString());
        }
    }

    private void notifyListeners(ClusterEvent event) {
        for (ClusterListener l : listeners) {
            try {
                l.onEvent(event);
            } catch (RuntimeException e) {
                LOG.warn("cluster listener {} failed on {}: {}", l, event.type(), e.toString());
            }
        }
    }

    private HazelcastMember running() {
        HazelcastMember m = member;
        if (m == null || !m.running()) {
            throw new VmlabException("this node is not in a cluster (it is stopping or not configured)");
        }
        return m;
    }

    @Override
    public String name() {
        return settings.name();
    }

    @Override
    public String localNode() {
        return settings.node();
    }

    @Override
    public List<ClusterNode> nodes() {
        HazelcastMember m = running();
        Set<String> up = m.members().stream().map(HazelcastMember::nodeName).collect(Collectors.toSet());
        List<ClusterNode> out = new ArrayList<>();
        for (String json : m.map(HazelcastMember.NODES).values()) {
            ClusterNode n = Records.read(json, ClusterNode.class);
            if (n != null) {
                out.add(n.withState(up.contains(n.name()) ? ClusterNode.NodeState.UP : ClusterNode.NodeState.GONE));
            }
        }
        for (Member mem : m.members()) { // a member that has not published yet
            String name = HazelcastMember.nodeName(mem);
            if (out.stream().noneMatch(n -> n.name().equals(name))) {
                out.add(new ClusterNode(name, HazelcastMember.address(mem), ClusterNode.NodeState.UP,
                        mem.getAttribute("vmlab.version"), null, 0, 0, 0, -1, 0, 0, 0));
            }
        }
        out.sort(Comparator.comparing(ClusterNode::name));
        return out;
    }

    @Override
    public List<ClusterVm> vms() {
        return running().map(HazelcastMember.VMS).values().stream().map(j -> Records.read(j, ClusterVm.class))
                .filter(v -> v != null).sorted(Comparator.comparing(ClusterVm::node).thenComparing(ClusterVm::id)).toList();
    }

    @Override
    public List<ClusterMigration> migrations() {
        return running().map(HazelcastMember.MIGRATIONS).values().stream()
                .map(j -> Records.read(j, ClusterMigration.class)).filter(v -> v != null)
                .sorted(Comparator.comparing(ClusterMigration::node).thenComparing(ClusterMigration::id)).toList();
    }

    @Override
    public Leadership leadership() {
        running();
        return election.current();
    }

    @Override
    public Endpoint dataPlane(String node) {
        List<ClusterNode> nodes = nodes();
        ClusterNode n = nodes.stream().filter(x -> x.name().equals(node)).findFirst().orElseThrow(() ->
                new VmlabException("no node named '" + node + "' in cluster '" + settings.name() + "'; nodes: "
                        + nodes.stream().map(ClusterNode::name).toList()));
        if (n.state() != ClusterNode.NodeState.UP) {
            throw new VmlabException("node '" + node + "' has left the cluster");
        }
        if (n.dataPlane() == null) {
            throw new VmlabException("node '" + node + "' advertises no migration receiver (feature vmlab-engines)");
        }
        return n.dataPlane();
    }

    @Override
    public List<ClusterEvent> events() {
        running();
        return watcher.history();
    }

    @Override
    public Order issue(String vm, String from, String to, Endpoint toEndpoint, String engine, boolean verify,
                       String rate, long epoch, Duration timeout) {
        running();
        return desk.issue(vm, from, to, toEndpoint, engine, verify, rate, epoch, timeout);
    }

    @Override
    public Order await(Order issued) throws InterruptedException {
        return desk.await(issued, node -> member == null || member.members().stream()
                .noneMatch(mm -> HazelcastMember.nodeName(mm).equals(node)));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
