package org.vmlab.workloads;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Exactly-once bookkeeping of an MPI rank, kept in guest memory (header globals) so it travels
 * with the VM through migration, checkpoint and restart. Per peer rank it holds the next
 * iteration expected; a message below it is a retransmission (dropped, counted), above it a gap
 * (counted as lost). Each delivered message carries a value that only its sender and iteration
 * determine; their sum is the rank's result, equal in every run that delivers every message once.
 */
final class MessageLedger {
    static final int G_DELIVERED = 3;
    static final int G_LOST = 4;
    static final int G_DROPPED = 5;
    static final int G_RESULT = 6;
    static final int G_CORRUPT = 7;
    static final int G_NEXT = 8;
    /** Peers with a rank at or above this are delivered but not checked. */
    static final int CHECKED_RANKS = 32;
    /** The agent's hold state (0 running, 1 hold asked, 2 frozen with the device path closed), after the ledger. */
    static final int G_HOLD = G_NEXT + CHECKED_RANKS;

    private final GuestHeader header;

    MessageLedger(GuestHeader header) {
        this.header = header;
    }

    /** The value rank {@code rank} sends in its message of iteration {@code iteration}. */
    static long value(int rank, long iteration) {
        return Mix.mix64(((long) rank << 40) ^ iteration ^ 0x5DEECE66DL);
    }

    /**
     * Records a message from {@code peer}; {@code carried} is the value it carried, or null for a
     * message too short to carry one.
     *
     * @return whether it was new (not a retransmission)
     */
    boolean deliver(int peer, long iteration, Long carried) {
        long expected = value(peer, iteration);
        if (carried != null && carried != expected) {
            header.setGlobal(G_CORRUPT, header.global(G_CORRUPT) + 1);
        }
        if (peer < 0 || peer >= CHECKED_RANKS) {
            add(G_DELIVERED, 1);
            add(G_RESULT, expected);
            return true;
        }
        long next = header.global(G_NEXT + peer);
        if (iteration < next) {
            add(G_DROPPED, 1);
            return false;
        }
        if (iteration > next) {
            add(G_LOST, iteration - next);
        }
        header.setGlobal(G_NEXT + peer, iteration + 1);
        add(G_DELIVERED, 1);
        add(G_RESULT, expected);
        return true;
    }

    private void add(int global, long delta) {
        header.setGlobal(global, header.global(global) + delta);
    }

    long delivered() {
        return header.global(G_DELIVERED);
    }

    long lost() {
        return header.global(G_LOST);
    }

    long corrupt() {
        return header.global(G_CORRUPT);
    }

    /** The counters and the result, as an agent's status reply shows them. */
    Map<String, String> values() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("delivered", Long.toString(delivered()));
        m.put("lost", Long.toString(lost()));
        m.put("retransmissionsDropped", Long.toString(header.global(G_DROPPED)));
        m.put("corrupt", Long.toString(corrupt()));
        m.put("result", Long.toHexString(header.global(G_RESULT)));
        return m;
    }
}
