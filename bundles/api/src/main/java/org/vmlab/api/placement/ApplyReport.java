package org.vmlab.api.placement;

import java.util.List;
import java.util.Objects;

/**
 * The end of {@code cluster:apply}.
 *
 * @param policy      the policy applied
 * @param status      how it ended
 * @param reason      one line when it did not complete, else empty
 * @param epochs      the leadership epochs it planned in (more than one when it re-planned
 *                    after the membership changed)
 * @param moves       one result per move attempted or skipped
 * @param vmsMoved    moves that ended {@code MOVED}
 * @param bytes       bytes on the network over all moves
 * @param totalTimeMs wall time of the whole apply
 * @param nodesFreed  nodes that had VMs before and have none after
 */
public record ApplyReport(String policy, Status status, String reason, List<Long> epochs, List<MoveResult> moves,
                          int vmsMoved, long bytes, long totalTimeMs, List<String> nodesFreed) {
    public ApplyReport {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(status, "status");
        reason = reason == null ? "" : reason;
        epochs = List.copyOf(epochs);
        moves = List.copyOf(moves);
        nodesFreed = List.copyOf(nodesFreed);
    }

    public enum Status {
        /** Every move was done. */
        COMPLETED,
        /** Some moves failed; the others were done. */
        PARTIAL,
        /** It stopped before the end (no quorum, leadership lost, too many re-plans). */
        STOPPED
    }
}
