package org.vmlab.workloads;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * One incoming stream from a peer, a TCP connection or a ring: its messages arrive here, parsed
 * as {@link MpiRun} frames them.
 */
final class MessageStream {
    final SocketChannel ch;
    final ShmRing ring;
    int peer = -1;
    final ByteBuffer head = ByteBuffer.allocate(20);
    final ByteBuffer value = ByteBuffer.allocate(8);
    long iter;
    long bodyLeft;
    long bodyLength;

MessageStream(SocketChannel ch) {
        this.ch = ch;
        this.ring = null;
        head.limit(8);
    }

    /** A ring from a known peer: no hello. */
MessageStream(ShmRing ring, int peer) {
        this.ch = null;
        this.ring = ring;
        this.peer = peer;
        head.limit(20);
    }

    int read(ByteBuffer dst) throws IOException {
        return ring != null ? ring.read(dst) : ch.read(dst);
    }

    /** A ring whose bytes make no sense (a writer cut off mid-message): drop them, the writer resends. */
    void resync() {
        ring.reopenReader();
        head.clear().limit(20);
        bodyLeft = 0;
    }
}
