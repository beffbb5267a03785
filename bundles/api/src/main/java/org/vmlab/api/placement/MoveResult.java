package org.vmlab.api.placement;

import java.util.Objects;

/**
 * What became of one move.
 *
 * @param vm           the VM id
 * @param from         source node
 * @param to           destination node
 * @param status       the outcome
 * @param migrationId  the migration's id on the source node, or {@code -}
 * @param bytesNetwork bytes the migration put on the network
 * @param timeMs       the migration's total time
 * @param verified     the verification outcome, or {@code -}
 * @param detail       one line: why it failed or was skipped
 */
public record MoveResult(String vm, String from, String to, Status status, String migrationId, long bytesNetwork,
                         long timeMs, String verified, String detail) {
    public MoveResult {
        Objects.requireNonNull(vm, "vm");
        Objects.requireNonNull(status, "status");
        detail = detail == null ? "" : detail;
    }

    public enum Status {
        /** Migrated, and verified if asked. */
        MOVED,
        /** The migration failed: the VM still runs on its source. */
        FAILED,
        /** Not started: the plan stopped or the move no longer applied. */
        SKIPPED,
        /** The source or destination left during the move; the VM's records say where it is. */
        UNKNOWN
    }
}
