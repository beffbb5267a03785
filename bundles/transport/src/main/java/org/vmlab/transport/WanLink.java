package org.vmlab.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link LinkModel} on loopback: a TCP relay that listens on 127.0.0.1 and forwards each
 * connection to a target, delaying every segment by half the RTT (plus jitter and the cost of a
 * loss), pacing it at the rate (one bottleneck shared by all connections and both directions'
 * own budgets), and holding at most the model's window in flight per direction, so a client that
 * waits for each reply pays the full round trip, as on a real WAN.
 */
public final class WanLink implements AutoCloseable {
    private static final int SEGMENT = 64 << 10;

    private final LinkModel model;
    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final Pacer upstream;
    private final Pacer downstream;
    private final AtomicLong bytes = new AtomicLong();
    private volatile boolean closed;

    /** The bottleneck of one direction: when its next byte may leave, shared by the link's connections. */
    private static final class Pacer {
        private final LinkModel model;
        private long freeAtNanos;

        Pacer(LinkModel model) {
            this.model = model;
        }

        /** When a segment of {@code n} bytes handed over now has left the bottleneck. */
        synchronized long depart(long now, int n) {
            long start = Math.max(now, freeAtNanos);
            freeAtNanos = start + (long) (model.serializationSeconds(n) * 1e9);
            return freeAtNanos;
        }
    }

    private WanLink(LinkModel model, InetSocketAddress target, ServerSocket server) {
        this.model = model;
        this.target = target;
        this.server = server;
        this.upstream = new Pacer(model);
        this.downstream = new Pacer(model);
    }

    /** Starts relaying 127.0.0.1:(free port) to {@code target} through {@code model}. */
    public static WanLink start(LinkModel model, InetSocketAddress target) throws IOException {
        ServerSocket ss = new ServerSocket();
        ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        WanLink link = new WanLink(model, target, ss);
        link.spawn("vmlab-wan-accept-" + ss.getLocalPort(), link::acceptLoop);
        return link;
    }

    public int port() {
        return server.getLocalPort();
    }

    public LinkModel model() {
        return model;
    }

    /** Payload bytes relayed so far, both directions. */
    public long bytesRelayed() {
        return bytes.get();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket in = server.accept();
                Socket out = new Socket();
                out.connect(target, 10_000);
                for (Socket s : new Socket[] {in, out}) {
                    s.setTcpNoDelay(true);
                    sockets.add(s);
                }
                pipe(in, out, upstream, "up");
                pipe(out, in, downstream, "down");
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    /** One direction: a reader stamps each segment with its arrival time, a writer delivers it then. */
    private void pipe(Socket from, Socket to, Pacer pacer, String dir) {
        Delivery d = new Delivery(model.window());
        spawn("vmlab-wan-" + dir + "-read-" + from.getPort(), () -> {
            SplittableRandom rnd = new SplittableRandom();
            long lastArrival = 0;
            try (InputStream in = from.getInputStream()) {
                byte[] buf = new byte[SEGMENT];
                int n;
                while ((n = in.read(buf)) > 0) {
                    long now = System.nanoTime();
                    long arrival = pacer.depart(now, n) + model.rtt().toNanos() / 2;
                    if (!model.jitter().isZero()) {
                        arrival += rnd.nextLong(model.jitter().toNanos() + 1);
                    }
                    if (model.loss() > 0 && rnd.nextDouble() < model.loss()) {
                        arrival += Math.max(200_000_000L, model.rtt().toNanos());
                    }
                    arrival = Math.max(arrival, lastArrival); // TCP delivers in order
                    lastArrival = arrival;
                    d.put(java.util.Arrays.copyOf(buf, n), arrival);
                }
            } catch (IOException | InterruptedException e) {
                // the sender went away; deliver what is queued, then close
            } finally {
                d.end();
            }
        });
        spawn("vmlab-wan-" + dir + "-write-" + from.getPort(), () -> {
            try (OutputStream out = to.getOutputStream()) {
                for (Delivery.Segment s = d.take(); s != null; s = d.take()) {
                    long wait;
                    while ((wait = s.arrival() - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    bytes.addAndGet(s.data().length);
                    out.write(s.data());
                    d.delivered(s.data().length);
                }
                to.shutdownOutput();
            } catch (IOException | InterruptedException e) {
                // the receiver went away
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        });
    }

    /** The segments in flight in one direction, at most {@code window} bytes. */
    private static final class Delivery {
        record Segment(byte[] data, long arrival) {
        }

        private final ArrayDeque<Segment> queue = new ArrayDeque<>();
        private final int window;
        private long inFlight;
        private boolean ended;

        Delivery(int window) {
            this.window = window;
        }

        synchronized void put(byte[] data, long arrival) throws InterruptedException {
            while (inFlight > 0 && inFlight + data.length > window) {
                wait();
            }
            inFlight += data.length;
            queue.add(new Segment(data, arrival));
            notifyAll();
        }

        synchronized Segment take() throws InterruptedException {
            while (queue.isEmpty() && !ended) {
                wait();
            }
            return queue.poll();
        }

        synchronized void delivered(int n) {
            inFlight -= n;
            notifyAll();
        }

        synchronized void end() {
            ended = true;
            notifyAll();
        }
    }

    private void spawn(String name, Runnable r) {
        Thread t = new Thread(() -> {
            try {
                r.run();
            } finally {
                threads.remove(Thread.currentThread());
            }
        }, name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    /** Closes the listener and every relayed connection, and waits (bounded) for the relay threads. */
    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        sockets.forEach(WanLink::closeQuietly);
        for (Thread t : threads) {
            t.interrupt();
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing anyway
        }
    }
}
