package org.vmlab.cluster;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

import org.vmlab.api.ByteSize;
import org.vmlab.api.migration.Endpoint;

/**
 * The checked settings of one cluster node.
 *
 * @param name        the cluster name
 * @param node        this node's name
 * @param member      where this node's cluster engine listens
 * @param members     the members to join (this node may be among them)
 * @param secretFile  the cluster secret's file
 * @param quorum      members the leader must see before it acts
 * @param heartbeatSeconds seconds between heartbeats
 * @param failureSeconds   silence after which a member is removed
 * @param publishMillis    period of publication
 * @param cpus        CPUs offered to VMs
 * @param memoryBytes memory offered to VMs
 * @param tls         TLS relay settings, or {@code null} for the cluster engine on the network itself
 */
record ClusterSettings(String name, String node, Endpoint member, List<Endpoint> members, Path secretFile, int quorum,
                       int heartbeatSeconds, int failureSeconds, int publishMillis, int cpus, long memoryBytes,
                       Tls tls) {

    /**
     * The TLS relay: each member's relay listens on its member host at its port plus
     * {@code portOffset}; keystore and password file as for the data plane.
     */
    record Tls(int portOffset, Path keystore, Path passwordFile) {
        Tls {
            if (portOffset < 1 || portOffset > 60000) {
                throw new IllegalArgumentException("tlsPortOffset must be 1..60000: " + portOffset);
            }
        }

        /** Where member {@code m}'s relay listens. */
        Endpoint relayOf(Endpoint m) {
            return new Endpoint(m.host(), m.port() + portOffset);
        }
    }

    /** The address the cluster engine binds and advertises: loopback behind the relay. */
    Endpoint engineAddress(Endpoint m) {
        return tls == null ? m : new Endpoint("127.0.0.1", m.port());
    }
    ClusterSettings {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(node, "node");
        if (!node.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            throw new IllegalArgumentException("node name '" + node + "' must be 1-63 letters, digits, '.', '_' or '-'");
        }
        if (name.isBlank()) {
            throw new IllegalArgumentException("the cluster name is empty");
        }
        members = List.copyOf(members);
        if (heartbeatSeconds < 1 || failureSeconds <= heartbeatSeconds) {
            throw new IllegalArgumentException("failureSeconds (" + failureSeconds
                    + ") must exceed heartbeatSeconds (" + heartbeatSeconds + "), which must be at least 1");
        }
        if (publishMillis < 100) {
            throw new IllegalArgumentException("publishMillis must be at least 100: " + publishMillis);
        }
        if (quorum < 1 || cpus < 1 || memoryBytes < 1) {
            throw new IllegalArgumentException("quorum, cpus and memory must be positive");
        }
        if (tls != null) {
            checkRelayPorts(member, members, tls);
        }
    }

    /** Behind the relay every member is known by its port on this node's loopback: ports must differ. */
    private static void checkRelayPorts(Endpoint member, List<Endpoint> members, Tls tls) {
        Map<Integer, Endpoint> byPort = new HashMap<>();
        for (Endpoint m : members.contains(member) ? members
                : Stream.concat(members.stream(), Stream.of(member)).toList()) {
            Endpoint other = byPort.putIfAbsent(m.port(), m);
            if (other != null && !other.equals(m)) {
                throw new IllegalArgumentException("with tls, members need different ports: " + other + " and " + m);
            }
            if (m.port() + tls.portOffset() > 65535) {
                throw new IllegalArgumentException("with tls, the relay of " + m + " would listen on port "
                        + (m.port() + tls.portOffset()) + ": lower tlsPortOffset or the port");
            }
        }
    }

    static ClusterSettings of(ClusterConfig c, Path dataDir) {
        Endpoint self = new Endpoint(c.host().trim(), c.port());
        List<Endpoint> members = new ArrayList<>();
        for (String m : c.members().split(",")) {
            if (!m.isBlank()) {
                members.add(Endpoint.parse(m.trim()));
            }
        }
        int known = members.contains(self) ? members.size() : members.size() + 1;
        int quorum = c.quorum() > 0 ? c.quorum() : known / 2 + 1;
        String node = c.node().isBlank() ? hostName() : c.node().trim();
        Path secret = c.secretFile().isBlank() ? dataDir.resolve("vmlab/cluster.secret") : Path.of(c.secretFile().trim());
        int cpus = c.cpus() > 0 ? c.cpus() : Runtime.getRuntime().availableProcessors();
        long memory = c.memory().isBlank() ? physicalMemory() : ByteSize.parse(c.memory().trim()).bytes();
        Tls tls = !c.tls() ? null : new Tls(c.tlsPortOffset(),
                c.tlsKeystore().isBlank() ? dataDir.resolve("vmlab/transport.p12") : Path.of(c.tlsKeystore().trim()),
                c.tlsPasswordFile().isBlank() ? dataDir.resolve("vmlab/transport.p12.password") : Path.of(c.tlsPasswordFile().trim()));
        return new ClusterSettings(c.name().trim(), node, self, members, secret, quorum, c.heartbeatSeconds(),
                c.failureSeconds(), c.publishMillis(), cpus, memory, tls);
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "-");
        } catch (java.net.UnknownHostException e) {
            return "node";
        }
    }

    static long physicalMemory() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getTotalMemorySize() : Runtime.getRuntime().maxMemory();
    }

    static long freePhysicalMemory() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getFreeMemorySize() : -1;
    }
}
