package org.vmlab.cluster;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

import org.vmlab.api.migration.Endpoint;
import org.vmlab.transport.SharedSecret;

/**
 * This node's Hazelcast member, configured the vmlab way: TCP-IP join with an explicit member
 * list, multicast and auto-detection off, bound to the configured address only, no phone-home,
 * and a cluster name derived from the cluster secret so a node with another secret is refused at
 * join. Only strings cross it.
 */
final class HazelcastMember implements AutoCloseable {
    /** Member attribute: the vmlab node name. */
    static final String NODE_ATTRIBUTE = "vmlab.node";
    static final String NODES = "vmlab.nodes";
    static final String VMS = "vmlab.vms";
    static final String MIGRATIONS = "vmlab.migrations";
    static final String ORDERS = "vmlab.orders";
    static final String LEADERSHIP = "vmlab.leadership";

    private final HazelcastInstance hz;

    private HazelcastMember(HazelcastInstance hz) {
        this.hz = hz;
    }

    /** Starts the member and joins (blocks for the join, a few seconds at most). */
    static HazelcastMember start(ClusterSettings s, SharedSecret secret, String version) {
        Config config = new Config();
        config.setClusterName(engineClusterName(s.name(), secret));
        config.setInstanceName("vmlab-" + s.node());
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.setProperty("hazelcast.socket.bind.any", "false");
        Endpoint engine = s.engineAddress(s.member());
        config.setProperty("hazelcast.local.localAddress", engine.host());
        config.setProperty("hazelcast.heartbeat.interval.seconds", Integer.toString(s.heartbeatSeconds()));
        config.setProperty("hazelcast.max.no.heartbeat.seconds", Integer.toString(s.failureSeconds()));
        config.setProperty("hazelcast.wait.seconds.before.join", "1");
        config.setProperty("hazelcast.max.wait.seconds.before.join", "3");
        // A healed split merges within seconds rather than Hazelcast's default of minutes.
        config.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
        config.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
        config.getJetConfig().setEnabled(false);
        config.getMemberAttributeConfig().setAttribute(NODE_ATTRIBUTE, s.node());
        config.getMemberAttributeConfig().setAttribute("vmlab.version", version);

        NetworkConfig net = config.getNetworkConfig();
        net.setPort(engine.port()).setPortAutoIncrement(false);
        net.getInterfaces().setEnabled(true).setInterfaces(List.of(engine.host()));
        JoinConfig join = net.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(2)
                .setMembers(s.members().stream().map(m -> s.engineAddress(m).toString()).toList());

        // Hazelcast finds its own services through the context class loader: give it its own.
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        t.setContextClassLoader(Hazelcast.class.getClassLoader());
        try {
            return new HazelcastMember(Hazelcast.newHazelcastInstance(config));
        } finally {
            t.setContextClassLoader(before);
        }
    }

    /**
     * The name Hazelcast compares at join: the configured name plus a MAC of it under the cluster
     * secret. Hazelcast's open-source edition has no member authentication; this keeps out any
     * node that does not hold the secret (it is refused as another cluster), while the secret
     * itself never crosses the network.
     */
    static String engineClusterName(String name, SharedSecret secret) {
        byte[] mac = secret.sign("vmlab-cluster-name", name.getBytes(StandardCharsets.UTF_8));
        return name + "-" + HexFormat.of().formatHex(mac, 0, 12);
    }

    HazelcastInstance instance() {
        return hz;
    }

    IMap<String, String> map(String name) {
        return hz.getMap(name);
    }

    Member local() {
        return hz.getCluster().getLocalMember();
    }

    /** The members now, oldest first (Hazelcast keeps them in join order). */
    List<Member> members() {
        return List.copyOf(hz.getCluster().getMembers());
    }

    boolean running() {
        return hz.getLifecycleService().isRunning();
    }

    static String nodeName(Member m) {
        return Optional.ofNullable(m.getAttribute(NODE_ATTRIBUTE)).orElse(m.getAddress().toString());
    }

    static String address(Member m) {
        return m.getAddress().getHost() + ":" + m.getAddress().getPort();
    }

    @Override
    public void close() {
        hz.shutdown();
    }
}
