package org.vmlab.bench;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.vmlab.experiment.action.KvsLoadDriver;

/**
 * The command-line front of the experiments' memcached load ({@link KvsLoadDriver}): the same
 * closed-loop client drives memcached and vmlab's server, so their figures compare. One second of
 * warm-up precedes the measured seconds.
 *
 * <pre>java ... KvsLoad HOST PORT CONNECTIONS SECONDS KEYS VALUE_BYTES GET_RATIO zipf|uniform [prefill]</pre>
 */
public final class KvsLoad {
    private static final long WARMUP_NANOS = TimeUnit.SECONDS.toNanos(1);

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

    /** Sets every key once. */
    public static void prefill(String host, int port, int keys, int valueBytes) throws Exception {
        driver(host, port, 1, 0, keys, valueBytes, 0, false).prefill();
    }

    public static Result run(String host, int port, int connections, double seconds, int keys, int valueBytes,
                             double getRatio, boolean zipf, boolean prefill) throws Exception {
        KvsLoadDriver driver = driver(host, port, connections, seconds, keys, valueBytes, getRatio, zipf);
        if (prefill) {
            driver.prefill();
        }
        KvsLoadDriver.Result r = driver.run();
        Histogram h = r.latencyMicros();
        return new Result(r.opsPerSecond(), h, r.wrong(), r.misses(), h.getTotalCount());
    }

    private static KvsLoadDriver driver(String host, int port, int connections, double seconds, int keys,
                                        int valueBytes, double getRatio, boolean zipf) {
        return new KvsLoadDriver(new InetSocketAddress(host, port), new KvsLoadDriver.Load(connections,
                WARMUP_NANOS, (long) (seconds * 1e9), keys, valueBytes, getRatio, zipf));
    }
}
