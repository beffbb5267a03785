package org.vmlab.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.vmlab.api.cluster.Leadership;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.transport.SharedSecret;

/** Two real Hazelcast members on loopback in this JVM: epochs, fencing, and the secret at join. */
@Timeout(120)
class LeaderElectionTest {
    private static final SharedSecret SECRET = SharedSecret.of("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8));

    private static ClusterSettings settings(String node, int port, List<Endpoint> members) {
        // failureSeconds 10, not less: on a loaded machine a short timeout splits the two members mid-test.
        return new ClusterSettings("test", node, new Endpoint("127.0.0.1", port), members, Path.of("unused"), 2, 1, 10,
                1000, 4, 1L << 30, null);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void aDecisionOfAnEarlierEpochIsRefusedAndAWrongSecretNeverJoins() throws Exception {
        int pa = freePort();
        int pb = freePort();
        List<Endpoint> members = List.of(new Endpoint("127.0.0.1", pa), new Endpoint("127.0.0.1", pb));
        ClusterSettings sa = settings("a", pa, members);
        ClusterSettings sb = settings("b", pb, members);
        try (HazelcastMember a = HazelcastMember.start(sa, SECRET, "t")) {
            LeaderElection ea = new LeaderElection(a, sa);
            Leadership alone = ea.onMembershipChange();
            assertNotNull(alone, "the only member leads");
            assertTrue(!alone.hasQuorum(), "one of two members is below the quorum of 2");
            assertNotNull(ea.staleReason("a", alone.epoch()), "no quorum: nothing is acted on");

            Leadership both;
            try (HazelcastMember b = HazelcastMember.start(sb, SECRET, "t")) {
                assertEquals(2, b.members().size());
                LeaderElection eb = new LeaderElection(b, sb);
                assertNull(eb.onMembershipChange(), "b is not the oldest: it does not set epochs");
                both = ea.onMembershipChange();
                assertTrue(both.epoch() > alone.epoch() && both.hasQuorum(), both.toString());
                assertNull(eb.staleReason("a", both.epoch()), "b accepts the current epoch of a");
                assertTrue(eb.staleReason("a", alone.epoch()).contains("epoch"), "and refuses an earlier one");
                assertTrue(eb.staleReason("b", both.epoch()).contains("leader here is a"));

                // A member with another secret computes another cluster name: refused, it stays alone.
                int pc = freePort();
                ClusterSettings sc = settings("c", pc, List.of(new Endpoint("127.0.0.1", pa), new Endpoint("127.0.0.1", pc)));
                SharedSecret other = SharedSecret.of("fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.UTF_8));
                try (HazelcastMember c = HazelcastMember.start(sc, other, "t")) {
                    assertEquals(1, c.members().size(), "c formed a cluster of its own");
                    assertEquals(2, a.members().size(), "a never admitted c");
                }
            }
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (a.members().size() != 1 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            Leadership after = ea.onMembershipChange();
            assertTrue(after.epoch() > both.epoch());
            assertNotNull(ea.staleReason("a", both.epoch()), "a decision from before b left is stale");
        }
    }
}
