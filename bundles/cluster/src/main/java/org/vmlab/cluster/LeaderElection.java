package org.vmlab.cluster;

import java.util.List;

import com.hazelcast.cluster.Member;
import com.hazelcast.map.IMap;

import org.vmlab.api.cluster.Leadership;

/**
 * The leader is the oldest member. Each time the membership changes, the oldest member sets a new
 * epoch (one more than any it has seen) with the member count it saw. A node accepts a decision
 * only if the decision's leader is the oldest member it sees, its epoch is the current one and
 * the membership it sees has the size that epoch was set for: a node cut off from the others (or
 * that saw a change the leader has not yet acted on) refuses decisions taken before.
 *
 * <p>Without Hazelcast's CP subsystem (not in the open-source edition) this is not consensus:
 * during a network split each side elects its own oldest member. The quorum keeps a minority
 * side's leader from acting; see the README for the guarantee.
 */
final class LeaderElection {
    private static final String KEY = "current";

    private final HazelcastMember member;
    private final ClusterSettings settings;
    private long highestSeen;

    LeaderElection(HazelcastMember member, ClusterSettings settings) {
        this.member = member;
        this.settings = settings;
    }

    /** After a membership change: the new leadership if this node leads and set it, else null. */
    synchronized Leadership onMembershipChange() {
        List<Member> members = member.members();
        if (members.isEmpty() || !members.get(0).localMember()) {
            return null;
        }
        IMap<String, String> map = member.map(HazelcastMember.LEADERSHIP);
        for (int attempt = 0; attempt < 50; attempt++) {
            String before = map.get(KEY);
            Leadership old = Records.read(before, Leadership.class);
            long epoch = Math.max(old == null ? 0 : old.epoch(), highestSeen) + 1;
            Leadership next = new Leadership(settings.node(), epoch, members.size(), settings.quorum(),
                    System.currentTimeMillis());
            String json = Records.write(next);
            boolean set = before == null ? map.putIfAbsent(KEY, json) == null : map.replace(KEY, before, json);
            if (set) {
                highestSeen = epoch;
                return next;
            }
        }
        throw new IllegalStateException("could not set the leadership epoch: the record kept changing");
    }

    /** The leadership as this node sees it; epoch 0 until the leader has set one. */
    synchronized Leadership current() {
        Leadership l = Records.read(member.map(HazelcastMember.LEADERSHIP).get(KEY), Leadership.class);
        List<Member> members = member.members();
        if (l == null) {
            return new Leadership(HazelcastMember.nodeName(members.get(0)), 0, members.size(), settings.quorum(), 0);
        }
        highestSeen = Math.max(highestSeen, l.epoch());
        return l;
    }

    /** Why a decision of {@code leader} in {@code epoch} must not be acted on here, or null if it may. */
    String staleReason(String leader, long epoch) {
        Leadership now = current();
        List<Member> members = member.members();
        String oldest = HazelcastMember.nodeName(members.get(0));
        if (!oldest.equals(leader)) {
            return "decided by " + leader + ", but the leader here is " + oldest;
        }
        if (now.epoch() != epoch || !now.leader().equals(leader)) {
            return "decided in epoch " + epoch + " of " + leader + ", the epoch here is " + now.epoch() + " of " + now.leader();
        }
        if (now.members() != members.size()) {
            return "epoch " + epoch + " was set for " + now.members() + " members, " + members.size() + " are here";
        }
        if (!now.hasQuorum()) {
            return "epoch " + epoch + " has " + now.members() + " members, fewer than the quorum of " + now.quorum();
        }
        return null;
    }
}
