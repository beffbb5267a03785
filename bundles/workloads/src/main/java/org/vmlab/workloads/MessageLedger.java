package org.vmlab.workloads;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Exactly-once bookkeeping of an MPI rank, kept in guest memory (header globals) so it travels
 * with the VM through migration, checkpoint and restart. Per peer rank it holds the next
 * iteration expected and a window of the 64 after it that arrived early (a path switch may
 * reorder two messages); a message already seen is a retransmission (dropped, counted), one
 * beyond the window counts the gap as lost. Each delivered message carries a value that only its
 * sender and iteration determine; their sum is the rank's result, equal in every run that
 * delivers every message once.
 */
final class MessageLedger {
    static final int G_DELIVERED = 3;
    static final int G_LOST = 4;
    static final int G_DROPPED = 5;
    static final int G_RESULT = 6;
    static final int G_CORRUPT = 7;
    static final int G_NEXT = 8;
    /** Peers with a rank at or above this are delivered but not checked. */
    static final int CHECKED_RANKS = 16;
    static final int G_EARLY = G_NEXT + CHECKED_RANKS;
    /** The agent's hold state (0 running, 1 hold asked, 2 frozen with the device path closed), after the ledger. */
    static final int G_HOLD = G_EARLY + CHECKED_RANKS;
    /** Bit 0: the rank's memory is filled with data (see {@link PrivateMemory}). */
    static final int G_FILLED = G_HOLD + 1;

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
        long early = header.global(G_EARLY + peer);
        long ahead = iteration - next - 1;
        if (iteration < next || (ahead >= 0 && ahead < 64 && (early >>> ahead & 1) != 0)) {
            add(G_DROPPED, 1);
            return false;
        }
        if (iteration == next) {
            next++;
            boolean seen;
            do {
                seen = (early & 1) != 0;
                early >>>= 1;
                if (seen) {
                    next++;
                }
            } while (seen);
        } else if (ahead < 64) {
            early |= 1L << ahead;
        } else {
            add(G_LOST, iteration - next - Long.bitCount(early));
            next = iteration + 1;
            early = 0;
        }
        header.setGlobal(G_NEXT + peer, next);
        header.setGlobal(G_EARLY + peer, early);
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

    /** Messages skipped for good plus those missing now below the latest one from each peer. */
    long lost() {
        long open = 0;
        for (int p = 0; p < CHECKED_RANKS; p++) {
            long early = header.global(G_EARLY + p);
            if (early != 0) {
                open += 64 - Long.numberOfLeadingZeros(early) + 1 - Long.bitCount(early);
            }
        }
        return header.global(G_LOST) + open;
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
