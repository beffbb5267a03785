package org.vmlab.workloads;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A rank's side of its ivshmem pass-through device (the fast path): the mapped fabric, whether
 * the path is open (published in the fabric's directory, so peers write to this rank's rings),
 * and the rings peers write to it. Used by the rank task only.
 */
final class DevicePath {
    private final int rank;
    private final int listen;
    private volatile ShmFabric open;
    private ShmFabric mapped;
    private final List<MessageStream> incoming = new ArrayList<>();

    DevicePath(int rank, int listen) {
        this.rank = rank;
        this.listen = listen;
    }

    /** Whether the path is open: messages to open peers go through their rings. */
    boolean isOpen() {
        return open != null;
    }

    /** The open fabric, or null. */
    ShmFabric fabric() {
        return open;
    }

    /**
     * The rings peers write to this rank: kept and drained while the path is closed (a peer may
     * have written before it saw the path close).
     */
    List<MessageStream> incoming() {
        return incoming;
    }

    /** Opens the path through the device's shared-memory file; a rank without a slot stays on TCP. */
    void open(Path file) {
        close();
        if (rank >= ShmFabric.MAX_RANKS || listen == 0) {
            return;
        }
        ShmFabric f = mapped != null && mapped.file().equals(file) ? mapped : ShmFabric.open(file);
        if (f != mapped) {
            // a new run (started, restored, migrated) or another fabric: what is left in the rings
            // is from before, and the senders resend their latest messages when they see the epoch
            incoming.clear();
            for (int r = 0; r < ShmFabric.MAX_RANKS; r++) {
                if (r != rank) {
                    ShmRing ring = f.ring(r, rank);
                    ring.reopenReader();
                    incoming.add(new MessageStream(ring, r));
                }
            }
            mapped = f;
        }
        f.publish(rank, listen, true);
        open = f;
    }

    void close() {
        ShmFabric f = open;
        if (f != null) {
            f.publish(rank, listen, false);
        }
        open = null;
    }

    /** The rank of the peer listening on {@code port} when both paths are open, else -1. */
    int openPeer(int port) {
        ShmFabric f = open;
        if (f == null) {
            return -1;
        }
        int peer = f.openRankAt(port);
        return peer == rank ? -1 : peer;
    }

    /** The ring from this rank to {@code peer}. */
    ShmRing ringTo(int peer) {
        return open.ring(rank, peer);
    }
}
