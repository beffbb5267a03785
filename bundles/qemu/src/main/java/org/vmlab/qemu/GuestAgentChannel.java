package org.vmlab.qemu;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.vmlab.api.VmlabException;

/**
 * The host end of vmlab-agent's virtio-serial port (guest/README.md, "Agent protocol"): one JSON
 * object per line each way, one reply per request. QEMU's chardev takes one client at a time, so
 * each request connects, asks, reads its reply and disconnects, serialized on this object; a
 * request that outlives its timeout has its socket closed under it.
 */
final class GuestAgentChannel {
    private final Path socket;
    private final AtomicLong ids = new AtomicLong(1);

    GuestAgentChannel(Path socket) {
        this.socket = socket;
    }

    Path socket() {
        return socket;
    }

    /**
     * Sends {@code {"id":N,"op":op, members…}} and returns the reply object.
     *
     * @throws VmlabException if the agent does not answer in time, the reply is malformed, or it
     *                        says {@code "ok":false}
     */
    synchronized Map<String, Object> request(String op, Map<String, Object> members, Duration timeout) {
        long id = ids.getAndIncrement();
        Map<String, Object> req = new LinkedHashMap<>();
        req.put("id", id);
        req.put("op", op);
        req.putAll(members);
        AtomicBoolean timedOut = new AtomicBoolean();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            CompletableFuture<Void> watchdog = CompletableFuture.runAsync(() -> {
                timedOut.set(true);
                close(ch);
            }, CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS));
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
                ch.write(ByteBuffer.wrap((Json.write(req) + "\n").getBytes(StandardCharsets.UTF_8)));
                Map<String, Object> reply = readReply(ch, id);
                if (!Boolean.TRUE.equals(reply.get("ok"))) {
                    throw new VmlabException("the guest agent refused '" + op + "': " + reply.get("error"));
                }
                return reply;
            } finally {
                watchdog.cancel(false);
            }
        } catch (IOException e) {
            if (timedOut.get()) {
                throw new VmlabException("the guest agent did not answer '" + op + "' within "
                        + timeout.toMillis() + " ms on " + socket);
            }
            throw new VmlabException("cannot reach the guest agent on " + socket + ": " + e.getMessage(), e);
        } catch (Json.JsonException e) {
            throw new VmlabException("the guest agent answered '" + op + "' with malformed JSON: " + e.getMessage(), e);
        }
    }

    /** Reads lines until the one whose id is ours (a reply to an abandoned request may come first). */
    private static Map<String, Object> readReply(SocketChannel ch, long id) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            buf.clear();
            if (ch.read(buf) < 0) {
                throw new IOException("the agent's port closed before the reply");
            }
            buf.flip();
            while (buf.hasRemaining()) {
                byte b = buf.get();
                if (b != '\n') {
                    line.write(b);
                    continue;
                }
                Map<String, Object> reply = Json.parseObject(line.toString(StandardCharsets.UTF_8));
                line.reset();
                if (reply.get("id") instanceof Long got && got == id) {
                    return reply;
                }
            }
        }
    }

    private static void close(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing only to unblock the reader
        }
    }
}
