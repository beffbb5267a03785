package org.vmlab.qemu;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A QMP (QEMU Machine Protocol) client over a Unix domain socket. One reader thread splits the
 * stream into lines, matches replies to commands by {@code id} and hands events to the listeners
 * on a separate thread (so a listener may itself execute commands). Lines that are not JSON
 * objects are logged and skipped; a line longer than {@value #MAX_LINE} bytes ends the session.
 */
public final class QmpClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QmpClient.class);

    /** The longest message accepted (QMP replies, even query-migrate, are far smaller). */
    static final int MAX_LINE = 16 << 20;

    /** An asynchronous QMP event. */
    public record Event(String name, Map<String, Object> data, long timestampMicros) {
    }

    /** Told of every event, on the client's event thread, in arrival order. */
    @FunctionalInterface
    public interface EventListener {
        void onEvent(Event event);
    }

    private final String name;
    private final SocketChannel channel;
    private final Map<Long, CompletableFuture<Map<String, Object>>> pending = new ConcurrentHashMap<>();
    private final CompletableFuture<Map<String, Object>> greeting = new CompletableFuture<>();
    private final CompletableFuture<String> closed = new CompletableFuture<>();
    private final CopyOnWriteArrayList<EventListener> listeners = new CopyOnWriteArrayList<>();
    private final ExecutorService events;
    private final AtomicLong ids = new AtomicLong();
    private final Object writeLock = new Object();
    private final Thread reader;
    private volatile long garbageLines;

    private QmpClient(String name, SocketChannel channel) {
        this.name = name;
        this.channel = channel;
        this.events = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "vmlab-qmp-events-" + name);
            t.setDaemon(true);
            return t;
        });
        this.reader = new Thread(this::readLoop, "vmlab-qmp-" + name);
        this.reader.setDaemon(true);
    }

    /**
     * Connects to a QMP socket, waiting up to {@code timeout} for it to appear and for QEMU's
     * greeting, then leaves capabilities negotiation mode.
     *
     * @param name for thread names and messages (the VM id)
     * @throws QmpException if it cannot connect or QEMU does not greet in time
     */
    public static QmpClient connect(String name, Path socket, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        SocketChannel ch = null;
        IOException last = null;
        while (ch == null) {
            SocketChannel c = null;
            try {
                c = SocketChannel.open(StandardProtocolFamily.UNIX);
                c.connect(UnixDomainSocketAddress.of(socket));
                ch = c;
            } catch (IOException e) {
                last = e;
                closeQuietly(c);
                if (System.nanoTime() > deadline) {
                    throw new QmpException("cannot connect to QMP socket " + socket + " within "
                            + timeout.toMillis() + " ms: " + e.getMessage(), null);
                }
                sleep(20);
            }
        }
        QmpClient q = new QmpClient(name, ch);
        q.reader.start();
        try {
            long left = Math.max(1, deadline - System.nanoTime());
            q.greeting.get(left, TimeUnit.NANOSECONDS);
            q.execute("qmp_capabilities", null, Duration.ofNanos(Math.max(left, 1_000_000_000L)));
            return q;
        } catch (TimeoutException e) {
            q.close();
            throw new QmpException("QEMU sent no QMP greeting on " + socket + " within "
                    + timeout.toMillis() + " ms", null);
        } catch (ExecutionException e) {
            q.close();
            throw new QmpException("QMP session on " + socket + " ended before the greeting: "
                    + e.getCause().getMessage(), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            q.close();
            throw new QmpException("interrupted while connecting to " + socket, null);
        } catch (RuntimeException e) {
            q.close();
            throw e;
        }
        // 'last' is only kept for the error above
    }

    /** The greeting QEMU sent ({@code {"QMP": {...}}}). */
    public Map<String, Object> greeting() {
        return greeting.getNow(Map.of());
    }

    public void addEventListener(EventListener l) {
        listeners.add(Objects.requireNonNull(l, "listener"));
    }

    public void removeEventListener(EventListener l) {
        listeners.remove(l);
    }

    /** Completes with a reason when the session ends (QEMU exited, or {@link #close()}). */
    public CompletableFuture<String> closedFuture() {
        return closed;
    }

    public boolean isOpen() {
        return !closed.isDone();
    }

    /** Lines skipped because they were not JSON objects. */
    public long garbageLines() {
        return garbageLines;
    }

    /**
     * Runs one command and returns its {@code return} value (an empty map when QEMU returns
     * something else, see {@link #executeRaw}).
     *
     * @throws QmpException with QEMU's {@code desc} on an error reply, a timeout or a lost session
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> execute(String command, Map<String, ?> arguments, Duration timeout) {
        Object r = executeRaw(command, arguments, timeout);
        return r instanceof Map ? (Map<String, Object>) r : Map.of();
    }

    /** Runs one command and returns its {@code return} value as parsed (object, array, ...). */
    public Object executeRaw(String command, Map<String, ?> arguments, Duration timeout) {
        Objects.requireNonNull(command, "command");
        if (closed.isDone()) {
            throw new QmpException("cannot run '" + command + "' on " + name + ": the QMP session is closed ("
                    + closed.getNow("") + ")", null);
        }
        long id = ids.incrementAndGet();
        CompletableFuture<Map<String, Object>> f = new CompletableFuture<>();
        pending.put(id, f);
        try {
            Map<String, Object> msg = new java.util.LinkedHashMap<>();
            msg.put("execute", command);
            if (arguments != null && !arguments.isEmpty()) {
                msg.put("arguments", arguments);
            }
            msg.put("id", id);
            byte[] line = (Json.write(msg) + "\n").getBytes(StandardCharsets.UTF_8);
            synchronized (writeLock) {
                ByteBuffer b = ByteBuffer.wrap(line);
                while (b.hasRemaining()) {
                    channel.write(b);
                }
            }
            Map<String, Object> reply = f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (reply.containsKey("error")) {
                Map<String, Object> err = Json.obj(reply, "error");
                throw new QmpException("QEMU refused '" + command + "': " + Json.str(err, "desc"),
                        Json.str(err, "class"));
            }
            return reply.get("return");
        } catch (IOException e) {
            throw new QmpException("cannot send '" + command + "' to " + name + ": " + e.getMessage(), null);
        } catch (TimeoutException e) {
            throw new QmpException("QEMU did not answer '" + command + "' within " + timeout.toMillis() + " ms", null);
        } catch (ExecutionException e) {
            throw new QmpException("'" + command + "' on " + name + " failed: " + e.getCause().getMessage(), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpException("interrupted while waiting for '" + command + "'", null);
        } finally {
            pending.remove(id);
        }
    }

    // ------------------------------------------------------------ reading

    private void readLoop() {
        String reason = "QEMU closed the QMP connection";
        ByteBuffer buf = ByteBuffer.allocate(64 << 10);
        java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        try {
            while (true) {
                buf.clear();
                int n = channel.read(buf);
                if (n < 0) {
                    break;
                }
                byte[] a = buf.array();
                for (int i = 0; i < n; i++) {
                    byte b = a[i];
                    if (b == '\n') {
                        handleLine(line.toString(StandardCharsets.UTF_8));
                        line.reset();
                    } else if (line.size() >= MAX_LINE) {
                        reason = "QEMU sent a QMP message longer than " + MAX_LINE + " bytes";
                        throw new IOException(reason);
                    } else {
                        line.write(b);
                    }
                }
            }
        } catch (IOException e) {
            if (!closed.isDone() && !reason.startsWith("QEMU sent")) {
                reason = "QEMU closed the QMP connection (" + e.getMessage() + ")";
            }
        } finally {
            shutdown(reason);
        }
    }

    private void handleLine(String raw) {
        String s = raw.strip();
        if (s.isEmpty()) {
            return;
        }
        Map<String, Object> m;
        try {
            m = Json.parseObject(s);
        } catch (IllegalArgumentException e) {
            garbageLines++;
            LOG.warn("QMP {}: skipped a malformed message: {}", name, e.getMessage());
            return;
        }
        if (m.containsKey("QMP")) {
            greeting.complete(m);
        } else if (m.containsKey("event")) {
            Map<String, Object> ts = Json.obj(m, "timestamp");
            Event ev = new Event(String.valueOf(m.get("event")), Json.obj(m, "data"),
                    Json.num(ts, "seconds", 0) * 1_000_000L + Json.num(ts, "microseconds", 0));
            events.execute(() -> {
                for (EventListener l : listeners) {
                    try {
                        l.onEvent(ev);
                    } catch (RuntimeException e) {
                        LOG.warn("QMP {}: event listener failed on {}: {}", name, ev.name(), e.toString());
                    }
                }
            });
        } else if (m.get("id") instanceof Number id) {
            CompletableFuture<Map<String, Object>> f = pending.get(id.longValue());
            if (f != null) {
                f.complete(m);
            }
        } else if (m.containsKey("error")) {
            // An error without id: QEMU could not parse what we sent; nothing to match it to.
            LOG.warn("QMP {}: error without id: {}", name, Json.obj(m, "error").get("desc"));
        } else {
            garbageLines++;
        }
    }

    private void shutdown(String reason) {
        if (!closed.complete(reason)) {
            return;
        }
        closeQuietly(channel);
        QmpException gone = new QmpException(reason, null);
        greeting.completeExceptionally(gone);
        for (CompletableFuture<Map<String, Object>> f : pending.values()) {
            f.completeExceptionally(gone);
        }
        events.shutdown();
    }

    /** Ends the session; pending commands fail. Idempotent. */
    @Override
    public void close() {
        shutdown("QMP session closed by vmlab");
    }

    private static void closeQuietly(SocketChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // nothing left to do
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpException("interrupted", null);
        }
    }

    @Override
    public String toString() {
        return "QMP session of " + name + (isOpen() ? "" : " (closed)");
    }
}
