package org.vmlab.qemu;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * One request to vmlab-agent in a guest over its virtio-serial socket (guest/README.md, "Agent
 * protocol"): connect, write one JSON line, read the reply line, disconnect. QEMU's chardev takes
 * one client at a time, so each request has the socket to itself only briefly.
 */
final class GuestAgentLink {
    private static final int MAX_REPLY = 16 * 1024;

    private GuestAgentLink() {
    }

    /**
     * The agent's reply to {@code op}, or empty when it does not answer within {@code timeout}
     * (no agent, the guest still booting, or the socket gone).
     */
    static Optional<Map<String, Object>> request(Path socket, String op, Duration timeout) {
        long id = System.nanoTime() & 0x3_FFFF_FFFF_FFFFL; // below 10^15, as the protocol asks
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket));
             Selector sel = Selector.open()) {
            ch.write(ByteBuffer.wrap(Json.write(Map.of("id", id, "op", op)).concat("\n")
                    .getBytes(StandardCharsets.UTF_8)));
            ch.configureBlocking(false);
            ch.register(sel, SelectionKey.OP_READ);
            ByteBuffer buf = ByteBuffer.allocate(MAX_REPLY);
            while (buf.hasRemaining()) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0 || sel.select(left) == 0 && System.nanoTime() >= deadline) {
                    return Optional.empty();
                }
                sel.selectedKeys().clear();
                if (ch.read(buf) < 0) {
                    return Optional.empty();
                }
                Optional<Map<String, Object>> reply = reply(buf, id);
                if (reply.isPresent()) {
                    return reply;
                }
            }
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The complete line answering {@code id}, dropping lines of earlier requests. */
    private static Optional<Map<String, Object>> reply(ByteBuffer buf, long id) {
        for (int i = 0; i < buf.position(); i++) {
            if (buf.get(i) != '\n') {
                continue;
            }
            String line = new String(buf.array(), 0, i, StandardCharsets.UTF_8);
            buf.flip().position(i + 1);
            buf.compact();
            Map<String, Object> m = Json.parseObject(line);
            if (Long.valueOf(id).equals(m.get("id"))) {
                return Optional.of(m);
            }
            i = -1;
        }
        return Optional.empty();
    }
}
