package org.vmlab.workloads;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What makes a workload a request-driven server, as the seeds' web and database benchmarks are:
 * requests arrive on their own schedule (open loop: Poisson arrivals at a set rate, whether the
 * server keeps up or not), and a request's response time runs from its arrival to its end, so
 * time a server spends stalled (waiting for a page in postcopy) shows as the queue it leaves.
 * With rate 0 the loop is closed: the next request arrives when the last one ends.
 *
 * <p>One {@link Schedule} per server task (not thread-safe); the {@link Requests} the run owns
 * records response times from all of them (thread-safe) and yields per-second percentiles.
 */
final class Requests {
    /** A request queued longer than this is dropped, as a client gives up (and counted). */
    static final long GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(10);
    private final Recorder recorder = new Recorder(3);
    private Histogram interval;

    /** Records one response time. */
    void completed(long arrivalNanos, long endNanos) {
        recorder.recordValue(Math.max(1, (endNanos - arrivalNanos) / 1000));
    }

    /** The percentiles of the requests completed since the last call: {p50, p99} in µs, NaN if none. */
    synchronized double[] percentiles() {
        interval = recorder.getIntervalHistogram(interval);
        if (interval.getTotalCount() == 0) {
            return new double[]{Double.NaN, Double.NaN};
        }
        return new double[]{interval.getValueAtPercentile(50), interval.getValueAtPercentile(99)};
    }

    /** The arrivals of one server task. */
    static final class Schedule {
        private static final long MAX_WAIT_NANOS = 200_000;
        private final double meanGapNanos;
        private final SplittableRandom rng;
        private long next;
        private long dropped;

        /** @param perSecond this task's arrival rate; 0 for a closed loop */
        Schedule(double perSecond, SplittableRandom rng) {
            this.meanGapNanos = perSecond > 0 ? 1e9 / perSecond : 0;
            this.rng = rng;
            this.next = System.nanoTime();
        }

        /**
         * The arrival time of the next request if it has arrived (waiting briefly for it), else -1.
         * Requests that waited longer than {@link #GIVE_UP_NANOS} are dropped on the way.
         */
        long next() {
            long now = System.nanoTime();
            if (meanGapNanos == 0) {
                return now;
            }
            if (next > now) {
                LockSupport.parkNanos(Math.min(next - now, MAX_WAIT_NANOS));
                now = System.nanoTime();
                if (next > now) {
                    return -1;
                }
            }
            while (now - next > GIVE_UP_NANOS) {
                dropped++;
                advance();
            }
            long arrival = next;
            advance();
            return arrival;
        }

        private void advance() {
            next += (long) (-Math.log(1 - rng.nextDouble()) * meanGapNanos);
        }

        /** Requests given up on so far. */
        long dropped() {
            return dropped;
        }
    }
}
