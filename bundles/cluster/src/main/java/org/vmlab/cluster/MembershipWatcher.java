package org.vmlab.cluster;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.map.IMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.cluster.ClusterEvent;
import org.vmlab.api.cluster.ClusterMigration;
import org.vmlab.api.cluster.ClusterNode;
import org.vmlab.api.cluster.ClusterVm;
import org.vmlab.api.cluster.Leadership;

/**
 * Turns Hazelcast's membership events into vmlab's: re-elects (a new epoch), and when a node
 * leaves, the leader marks its node record gone and its VMs and migrations lost: kept, not
 * deleted, so the cluster view says what was there. Works on the cluster's own thread, never on
 * Hazelcast's event thread.
 */
final class MembershipWatcher implements MembershipListener {
    private static final Logger LOG = LoggerFactory.getLogger(MembershipWatcher.class);
    private static final int HISTORY = 200;

    private final HazelcastMember member;
    private final LeaderElection election;
    private final ExecutorService thread;
    private final Consumer<ClusterEvent> listeners;
    private final Deque<ClusterEvent> history = new ArrayDeque<>();

    MembershipWatcher(HazelcastMember member, LeaderElection election, ExecutorService thread,
                      Consumer<ClusterEvent> listeners) {
        this.member = member;
        this.election = election;
        this.thread = thread;
        this.listeners = listeners;
    }

    /** At start: elect if this node is the oldest (it may be alone). */
    void start() {
        long at = System.currentTimeMillis();
        thread.execute(() -> {
            emit(new ClusterEvent(ClusterEvent.Type.NODE_JOINED, HazelcastMember.nodeName(member.local()),
                    election.current().epoch(), at, "this node, with " + member.members().size() + " members"));
            reelect("at start");
        });
    }

    @Override
    public void memberAdded(MembershipEvent e) {
        String node = HazelcastMember.nodeName(e.getMember());
        long at = System.currentTimeMillis();
        thread.execute(() -> {
            emit(new ClusterEvent(ClusterEvent.Type.NODE_JOINED, node, election.current().epoch(), at,
                    HazelcastMember.address(e.getMember())));
            reelect("after " + node + " joined");
        });
    }

    @Override
    public void memberRemoved(MembershipEvent e) {
        String node = HazelcastMember.nodeName(e.getMember());
        long at = System.currentTimeMillis();
        thread.execute(() -> {
            Leadership l = reelect("after " + node + " left");
            String detail = "";
            if (l != null) { // this node leads: it marks what the node left behind
                detail = markLost(node);
            }
            emit(new ClusterEvent(ClusterEvent.Type.NODE_LEFT, node, election.current().epoch(), at, detail));
        });
    }

    private Leadership reelect(String why) {
        try {
            Leadership l = election.onMembershipChange();
            if (l != null) {
                LOG.info("cluster leader is {} in epoch {} ({} members, quorum {}) {}", l.leader(), l.epoch(),
                        l.members(), l.quorum(), why);
                emit(new ClusterEvent(ClusterEvent.Type.LEADER_CHANGED, l.leader(), l.epoch(), l.sinceMillis(),
                        l.members() + " members" + (l.hasQuorum() ? "" : ", below the quorum of " + l.quorum())));
            }
            return l;
        } catch (RuntimeException ex) {
            LOG.warn("cluster election failed {}: {}", why, ex.toString());
            return null;
        }
    }

    /** Marks a departed node's records; returns a one-line summary. */
    private String markLost(String node) {
        int vms = mark(member.map(HazelcastMember.VMS), node, json -> {
            ClusterVm v = Records.read(json, ClusterVm.class);
            return v == null || v.lost() ? null : Records.write(v.asLost());
        });
        int migrations = mark(member.map(HazelcastMember.MIGRATIONS), node, json -> {
            ClusterMigration m = Records.read(json, ClusterMigration.class);
            return m == null || m.lost() ? null : Records.write(m.asLost());
        });
        IMap<String, String> nodes = member.map(HazelcastMember.NODES);
        ClusterNode n = Records.read(nodes.get(node), ClusterNode.class);
        if (n != null) {
            nodes.set(node, Records.write(n.withState(ClusterNode.NodeState.GONE)));
        }
        LOG.warn("cluster node {} left: {} VMs and {} migrations marked lost", node, vms, migrations);
        return vms + " VMs and " + migrations + " migrations marked lost";
    }

    private static int mark(IMap<String, String> map, String node, java.util.function.UnaryOperator<String> lost) {
        int n = 0;
        for (Map.Entry<String, String> e : map.entrySet()) {
            if (e.getKey().startsWith(node + "/")) {
                String next = lost.apply(e.getValue());
                if (next != null) {
                    map.set(e.getKey(), next);
                    n++;
                }
            }
        }
        return n;
    }

    private void emit(ClusterEvent event) {
        synchronized (history) {
            history.addLast(event);
            while (history.size() > HISTORY) {
                history.removeFirst();
            }
        }
        listeners.accept(event);
    }

    List<ClusterEvent> history() {
        synchronized (history) {
            return List.copyOf(history);
        }
    }
}
