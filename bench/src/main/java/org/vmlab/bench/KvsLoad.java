package org.vmlab.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Histogram;

/**
 * A closed-loop memcached load generator: {@code connections} threads, each one blocking
 * connection sending get or set and waiting for the reply, keys by Zipf or uniform popularity,
 * every value a function of its key (so a value returned for the wrong key, or corrupted, is
 * counted as wrong). Latencies go into HdrHistogram.
 *
 * <pre>java ... KvsLoad HOST PORT CONNECTIONS SECONDS KEYS VALUE_BYTES GET_RATIO zipf|uniform [prefill]</pre>
 */
public final class KvsLoad {
    /** The result of one run. */
    public record Result(double opsPerSecond, Histogram latencyMicros, long wrong, long misses, long ops) {
        /** The most frequent latency, in us: the middle of the fullest 5 us bucket (the distribution's peak). */
        public double peakMicros() {
            long best = -1;
            double at = 0;
            for (var v : latencyMicros.linearBucketValues(5)) {
                if (v.getCountAddedInThisIterationStep() > best) {
                    best = v.getCountAddedInThisIterationStep();
                    at = v.getValueIteratedTo() - 2.5;
                }
            }
            return at;
        }

        public String line(String label) {
            return String.format("%-34s %9.0f ops/s  p50 %7.1f  p90 %7.1f  p99 %7.1f  p99.9 %8.1f  peak %6.1f us  wrong %d",
                    label, opsPerSecond, q(50), q(90), q(99), q(99.9), peakMicros(), wrong);
        }

        public double q(double p) {
            return latencyMicros.getValueAtPercentile(p);
        }
    }

    private KvsLoad() {
    }

    public static void main(String[] a) throws Exception {
        Result r = run(a[0], Integer.parseInt(a[1]), Integer.parseInt(a[2]), Double.parseDouble(a[3]),
                Integer.parseInt(a[4]), Integer.parseInt(a[5]), Double.parseDouble(a[6]), a[7].equals("zipf"),
                a.length > 8 && a[8].equals("prefill"));
        System.out.println(r.line(a[0] + ":" + a[1]));
    }

    /** Sets every key once, over 8 connections. */
    public static void prefill(String host, int port, int keys, int valueBytes) throws Exception {
        int per = (keys + 7) / 8;
        onConnections(host, port, 8, (t, c) -> {
            for (int k = t * per; k < Math.min(keys, (t + 1) * per); k++) {
                c.set(k, valueBytes, true);
            }
            c.version();
        });
    }

    /** What one connection's thread does; {@code index} counts the connections from 0. */
    private interface ConnectionBody {
        void run(int index, Conn c) throws IOException;
    }

    /** Runs {@code body} on {@code n} connections at once, one thread each, and waits for all. */
    private static void onConnections(String host, int port, int n, ConnectionBody body) throws InterruptedException {
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            int index = t;
            Thread th = new Thread(() -> {
                try (Conn c = new Conn(host, port)) {
                    body.run(index, c);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            ts.add(th);
            th.start();
        }
        for (Thread th : ts) {
            th.join();
        }
    }

    public static Result run(String host, int port, int connections, double seconds, int keys, int valueBytes,
                             double getRatio, boolean zipf, boolean prefill) throws Exception {
        if (prefill) {
            prefill(host, port, keys, valueBytes);
        }
        Zipf popularity = zipf ? new Zipf(keys, 0.99) : null;
        AtomicLong wrong = new AtomicLong();
        AtomicLong misses = new AtomicLong();
        List<Histogram> hs = new ArrayList<>();
        long warmupEnd = System.nanoTime() + 1_000_000_000L;
        long end = warmupEnd + (long) (seconds * 1e9);
        for (int t = 0; t < connections; t++) {
            hs.add(new Histogram(60_000_000L, 3));
        }
        onConnections(host, port, connections, (t, c) -> {
            Histogram h = hs.get(t);
            SplittableRandom rnd = new SplittableRandom(1000 + t);
            while (true) {
                int key = popularity != null ? popularity.next(rnd) : rnd.nextInt(keys);
                boolean get = rnd.nextDouble() < getRatio;
                long t0 = System.nanoTime();
                if (t0 > end) {
                    break;
                }
                if (get) {
                    int r = c.get(key, valueBytes);
                    if (r < 0) {
                        wrong.incrementAndGet();
                    } else if (r == 0) {
                        misses.incrementAndGet();
                    }
                } else {
                    c.set(key, valueBytes, false);
                }
                long t1 = System.nanoTime();
                if (t0 > warmupEnd) {
                    h.recordValue(Math.max(1, (t1 - t0) / 1000));
                }
            }
        });
        Histogram all = new Histogram(60_000_000L, 3);
        for (Histogram h : hs) {
            all.add(h);
        }
        return new Result(all.getTotalCount() / seconds, all, wrong.get(), misses.get(), all.getTotalCount());
    }

    /** Zipf popularity over n keys by inverting a precomputed CDF. */
    static final class Zipf {
        private final double[] cdf;

        Zipf(int n, double s) {
            cdf = new double[n];
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += 1 / Math.pow(i + 1, s);
                cdf[i] = sum;
            }
            for (int i = 0; i < n; i++) {
                cdf[i] /= sum;
            }
        }

        int next(SplittableRandom r) {
            double u = r.nextDouble();
            int lo = 0;
            int hi = cdf.length - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cdf[mid] >= u) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            // Scatter the popular ranks over the key space, so hot keys are not neighbours.
            return (int) ((lo * 2654435761L) % cdf.length);
        }
    }

    /** One blocking text-protocol connection. */
    static final class Conn implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final byte[] buf = new byte[1 << 20];

        Conn(String host, int port) throws IOException {
            socket = new Socket(host, port);
            socket.setTcpNoDelay(true);
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
            out = socket.getOutputStream();
        }

        static byte[] value(int key, int size) {
            byte[] v = new byte[size];
            long x = key * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
            for (int i = 0; i < size; i++) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                v[i] = (byte) ('a' + ((x >>> 33) % 26));
            }
            return v;
        }

        void set(int key, int size, boolean noreply) throws IOException {
            byte[] head = ("set k" + key + " 0 0 " + size + (noreply ? " noreply" : "") + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            byte[] v = value(key, size);
            byte[] msg = new byte[head.length + size + 2];
            System.arraycopy(head, 0, msg, 0, head.length);
            System.arraycopy(v, 0, msg, head.length, size);
            msg[msg.length - 2] = '\r';
            msg[msg.length - 1] = '\n';
            out.write(msg);
            if (!noreply) {
                String l = line();
                if (!l.equals("STORED")) {
                    throw new IOException("set k" + key + ": " + l);
                }
            }
        }

        /** 1 hit with the right value, 0 miss, -1 a wrong value. */
        int get(int key, int size) throws IOException {
            out.write(("get k" + key + "\r\n").getBytes(StandardCharsets.US_ASCII));
            String l = line();
            if (l.equals("END")) {
                return 0;
            }
            String[] p = l.split(" ");
            if (p.length < 4 || !p[0].equals("VALUE") || !p[1].equals("k" + key)) {
                throw new IOException("get k" + key + ": " + l);
            }
            int n = Integer.parseInt(p[3]);
            readFully(n + 2);
            boolean ok = n == size && java.util.Arrays.equals(buf, 0, n, value(key, size), 0, n);
            String e = line();
            if (!e.equals("END")) {
                throw new IOException("get k" + key + ": no END but " + e);
            }
            return ok ? 1 : -1;
        }

        void version() throws IOException {
            out.write("version\r\n".getBytes(StandardCharsets.US_ASCII));
            line();
        }

        private void readFully(int n) throws IOException {
            int off = 0;
            while (off < n) {
                int r = in.read(buf, off, n - off);
                if (r < 0) {
                    throw new IOException("closed");
                }
                off += r;
            }
        }

        private String line() throws IOException {
            StringBuilder b = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                if (c != '\r') {
                    b.append((char) c);
                }
            }
            if (c < 0) {
                throw new IOException("closed");
            }
            return b.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
