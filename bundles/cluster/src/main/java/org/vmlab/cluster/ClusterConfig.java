package org.vmlab.cluster;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** {@code etc/org.vmlab.cluster.cfg}: the node is a cluster member only while this exists. */
@ObjectClassDefinition(name = "vmlab cluster", description = "Membership of this node in a vmlab cluster (Hazelcast)")
public @interface ClusterConfig {
    @AttributeDefinition(description = "Cluster name; nodes with another name never join")
    String name() default "vmlab";

    @AttributeDefinition(description = "This node's name, unique in the cluster; empty for the host name")
    String node() default "";

    @AttributeDefinition(description = "Address the cluster engine listens on and advertises")
    String host() default "127.0.0.1";

    @AttributeDefinition(description = "TCP port of the cluster engine")
    int port() default 5710;

    @AttributeDefinition(description = "The members to join, host:port separated by commas (TCP-IP join; no multicast)")
    String members() default "";

    @AttributeDefinition(description = "File with the cluster secret (owner-only); empty for ${karaf.data}/vmlab/cluster.secret, created if absent")
    String secretFile() default "";

    @AttributeDefinition(description = "Members the leader must see before it acts; 0 for a majority of 'members' (this node included)")
    int quorum() default 0;

    @AttributeDefinition(description = "Seconds between heartbeats")
    int heartbeatSeconds() default 1;

    @AttributeDefinition(description = "A member silent for this many seconds is removed")
    int failureSeconds() default 5;

    @AttributeDefinition(description = "Milliseconds between publications of this node's VMs and migrations")
    int publishMillis() default 1000;

    @AttributeDefinition(description = "Carry all cluster traffic in TLS 1.3 through vmlab's relay: the cluster engine listens on"
            + " 127.0.0.1 only, peers reach it through the relay (port + tlsPortOffset), which authenticates them by the"
            + " cluster secret and pinned certificates. Every node on its own host or network namespace.")
    boolean tls() default false;

    @AttributeDefinition(description = "With tls: the relay of a member listens on its port plus this")
    int tlsPortOffset() default 100;

    @AttributeDefinition(description = "With tls: PKCS12 keystore (this node's key, the peers' certificates); empty for ${karaf.data}/vmlab/transport.p12")
    String tlsKeystore() default "";

    @AttributeDefinition(description = "With tls: owner-only file with the keystore password; empty for ${karaf.data}/vmlab/transport.p12.password")
    String tlsPasswordFile() default "";

    @AttributeDefinition(description = "CPUs this node offers to VMs; 0 for the host's")
    int cpus() default 0;

    @AttributeDefinition(description = "Memory this node offers to VMs, e.g. 16G; empty for the host's physical memory")
    String memory() default "";
}
