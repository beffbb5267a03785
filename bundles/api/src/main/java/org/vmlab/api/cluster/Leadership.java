package org.vmlab.api.cluster;

import java.util.Objects;

/**
 * Who leads the cluster and since when. The leader is the oldest member; the epoch grows each
 * time the membership it leads changes, and every decision carries it: a node acts on a decision
 * only if its epoch is the one it sees now, so a node cut off from the others cannot act on a
 * decision taken before the cut.
 *
 * @param leader      the leading node's name
 * @param epoch       the leadership epoch
 * @param members     how many members the leader saw when it set this epoch
 * @param quorum      how many members the configuration asks for before the leader acts
 * @param sinceMillis when this epoch began
 */
public record Leadership(String leader, long epoch, int members, int quorum, long sinceMillis) {
    public Leadership {
        Objects.requireNonNull(leader, "leader");
    }

    /** Whether the leader saw at least the quorum of members when it set this epoch. */
    public boolean hasQuorum() {
        return members >= quorum;
    }
}
