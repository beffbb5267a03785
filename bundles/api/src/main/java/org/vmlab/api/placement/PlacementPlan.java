package org.vmlab.api.placement;

import java.util.List;
import java.util.Objects;

/**
 * The migrations a policy chose, with the leadership epoch they were decided in.
 *
 * @param policy      the policy's name
 * @param leader      the leader that planned
 * @param epoch       the leadership epoch of the plan
 * @param moves       the migrations, in order
 * @param nodesBefore the nodes hosting VMs now
 * @param nodesAfter  the nodes hosting VMs once the plan is done
 * @param nodesFreed  nodes with VMs now and none after the plan (could be switched off)
 */
public record PlacementPlan(String policy, String leader, long epoch, List<Move> moves, List<String> nodesBefore,
                            List<String> nodesAfter, List<String> nodesFreed) {
    public PlacementPlan {
        Objects.requireNonNull(policy, "policy");
        moves = List.copyOf(moves);
        nodesBefore = List.copyOf(nodesBefore);
        nodesAfter = List.copyOf(nodesAfter);
        nodesFreed = List.copyOf(nodesFreed);
    }
}
