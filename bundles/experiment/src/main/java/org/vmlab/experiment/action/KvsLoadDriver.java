package org.vmlab.experiment.action;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

import org.HdrHistogram.Histogram;
import org.apache.commons.math3.distribution.ZipfDistribution;
import org.apache.commons.math3.random.Well19937c;

/**
 * A closed-loop load on a memcached-protocol server: each connection its own thread, sending a get
 * or a set and waiting for the reply; every value a function of its key, so a wrong value is
 * caught. Request latencies after the warm-up go into one HdrHistogram per connection. Public for
 * the benchmarks (bench/tiering.sh), which drive memcached and vmlab's server with this same client.
 */
public final class KvsLoadDriver {
    /** What the load is. */
    public record Load(int connections, long warmupNanos, long durationNanos, int keys, int valueBytes, double getRatio,
                boolean zipf) {
    }

    /** What it measured. */
    public record Result(Histogram latencyMicros, double opsPerSecond, long misses, long wrong) {
    }

    private static final long MAX_MICROS = 60_000_000L;

    private final InetSocketAddress server;
    private final Load load;

    public KvsLoadDriver(InetSocketAddress server, Load load) {
        this.server = server;
        this.load = load;
    }

    /** Stores every key once, so gets hit from the start; over several connections, as it can be large. */
    public void prefill() throws IOException, InterruptedException {
        int connections = Math.max(1, Math.min(8, load.keys() / 1000));
        int per = (load.keys() + connections - 1) / connections;
        List<IOException> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < connections; t++) {
            int from = t * per;
            int to = Math.min(load.keys(), from + per);
            Thread th = new Thread(() -> {
                try (MemcachedClient c = new MemcachedClient(server)) {
                    for (int k = from; k < to; k++) {
                        c.set(key(k), value(k, load.valueBytes()));
                    }
                } catch (IOException e) {
                    failures.add(e);
                }
            }, "vmlab-experiment-kvs-prefill-" + t);
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        if (!failures.isEmpty()) {
            throw new IOException("prefill failed: " + failures.get(0).getMessage(), failures.get(0));
        }
    }

    public Result run() throws InterruptedException, IOException {
        return run(line -> { });
    }

    /** Runs the load, passing {@code progress} one line a second (elapsed time, requests per second). */
    public Result run(Consumer<String> progress) throws InterruptedException, IOException {
        long start = System.nanoTime();
        long measureFrom = start + load.warmupNanos();
        long end = measureFrom + load.durationNanos();
        List<Histogram> histograms = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        AtomicLong misses = new AtomicLong();
        AtomicLong wrong = new AtomicLong();
        AtomicLong requests = new AtomicLong();
        List<IOException> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < load.connections(); t++) {
            Histogram h = new Histogram(MAX_MICROS, 3);
            histograms.add(h);
            IntSupplier keys = keys(t);
            SplittableRandom coin = new SplittableRandom(7919L * (t + 1));
            Thread th = new Thread(() -> {
                try (MemcachedClient c = new MemcachedClient(server)) {
                    for (long t0 = System.nanoTime(); t0 < end && !Thread.currentThread().isInterrupted(); t0 = System.nanoTime()) {
                        int k = keys.getAsInt();
                        if (coin.nextDouble() < load.getRatio()) {
                            byte[] v = c.get(key(k));
                            if (v == null) {
                                misses.incrementAndGet();
                            } else if (!Arrays.equals(v, value(k, load.valueBytes()))) {
                                wrong.incrementAndGet();
                            }
                        } else {
                            c.set(key(k), value(k, load.valueBytes()));
                        }
                        requests.incrementAndGet();
                        if (t0 >= measureFrom) {
                            h.recordValue(Math.min(MAX_MICROS, Math.max(1, (System.nanoTime() - t0) / 1000)));
                        }
                    }
                } catch (IOException e) {
                    failures.add(e);
                }
            }, "vmlab-experiment-kvs-load-" + t);
            threads.add(th);
            th.start();
        }
        try {
            long seen = 0;
            for (Thread th : threads) {
                while (th.isAlive()) {
                    th.join(1000);
                    long now = requests.get();
                    if (th.isAlive()) {
                        progress.accept(String.format(Locale.ROOT, "%.0f s of %.0f, %d requests/s%s",
                                (System.nanoTime() - start) / 1e9, (end - start) / 1e9, now - seen,
                                System.nanoTime() < measureFrom ? " (warm-up)" : ""));
                    }
                    seen = now;
                }
            }
        } finally {
            threads.forEach(Thread::interrupt);
        }
        if (!failures.isEmpty()) {
            throw new IOException("a load connection failed: " + failures.get(0).getMessage(), failures.get(0));
        }
        Histogram all = new Histogram(MAX_MICROS, 3);
        histograms.forEach(all::add);
        return new Result(all, all.getTotalCount() / (load.durationNanos() / 1e9), misses.get(), wrong.get());
    }

    private IntSupplier keys(int connection) {
        if (load.zipf()) {
            ZipfDistribution z = new ZipfDistribution(new Well19937c(1000 + connection), load.keys(), 0.99);
            // Scatter the popular ranks over the key space, so hot keys are not neighbours.
            return () -> (int) (((z.sample() - 1) * 2654435761L) % load.keys());
        }
        SplittableRandom r = new SplittableRandom(1000 + connection);
        return () -> r.nextInt(load.keys());
    }

    static String key(int k) {
        return "k" + k;
    }

    /** The value of key {@code k}: printable bytes from a xorshift seeded by the key. */
    static byte[] value(int k, int size) {
        byte[] v = new byte[size];
        long x = 0x9E3779B97F4A7C15L * (k + 1);
        for (int i = 0; i < size; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            v[i] = (byte) ('a' + Math.floorMod(x, 26));
        }
        return v;
    }
}
