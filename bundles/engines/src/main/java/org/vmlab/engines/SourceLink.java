package org.vmlab.engines;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.vm.Vm;
import org.vmlab.engines.Messages.Attach;
import org.vmlab.engines.Messages.Open;
import org.vmlab.engines.Messages.Ready;
import org.vmlab.engines.Messages.Reason;
import org.vmlab.transport.RateLimiter;
import org.vmlab.transport.TransportException;

/**
 * The source's connections of one migration: the control connection, which opens the migration
 * at the destination, and one data connection per stream, each with a worker thread; all share
 * the link's rate limiter, and every byte on them counts as network bytes.
 */
final class SourceLink implements AutoCloseable {
    private static final long IDLE_NANOS = 500_000_000L;

    private final MigrationChannel control;
    private final List<MigrationChannel> streams;
    private final ExecutorService workers;
    private final String destVmId;

    private SourceLink(MigrationChannel control, List<MigrationChannel> streams, ExecutorService workers,
                       String destVmId) {
        this.control = control;
        this.streams = streams;
        this.workers = workers;
        this.destVmId = destVmId;
    }

    /**
     * Connects to the plan's destination (this node's receiver for a local plan), opens the
     * migration there and attaches the data streams.
     *
     * @param postcopy whether the migration ends in postcopy (the destination checks it can)
     */
    static SourceLink open(MigrationReceiver receiver, MigrationPlan plan, Vm vm, boolean postcopy,
                           String threadPrefix) throws IOException {
        if (receiver == null) {
            throw new TransportException("no migration receiver on this node (needed for the shared secret)");
        }
        Endpoint to = plan.isLocal() ? receiver.localEndpoint() : plan.destination();
        RateLimiter limiter = new RateLimiter(plan.network().rate());
        // The control connection carries what a waiting guest needs (postcopy faults): it never
        // waits behind the streams' bulk for the link's rate; the streams pay for its bytes.
        MigrationChannel control = new MigrationChannel(receiver.connect(to, limiter.priority()));
        List<MigrationChannel> streams = new ArrayList<>();
        ExecutorService workers = null;
        try {
            control.send(new Open(plan.id(), plan.streams(), plan.compress(), postcopy, StorageHandoff.spec(vm.spec(), plan)));
            Ready ready = control.expect(FrameType.READY, Ready::read);
            long pages = vm.memory().pageCount();
            if (ready.pages() != pages) {
                throw new TransportException("destination VM has " + ready.pages() + " pages, the source " + pages);
            }
            AtomicInteger n = new AtomicInteger();
            workers = Executors.newFixedThreadPool(plan.streams(), r -> {
                Thread t = new Thread(r, threadPrefix + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            for (int i = 0; i < plan.streams(); i++) {
                MigrationChannel ch = new MigrationChannel(receiver.connect(to, limiter));
                streams.add(ch);
                ch.send(new Attach(ready.token(), i));
            }
            return new SourceLink(control, List.copyOf(streams), workers, ready.destVmId());
        } catch (IOException | RuntimeException e) {
            control.close();
            streams.forEach(MigrationChannel::close);
            if (workers != null) {
                workers.shutdownNow();
            }
            throw e;
        }
    }

    MigrationChannel control() {
        return control;
    }

    int streamCount() {
        return streams.size();
    }

    /** The id the destination gave the VM. */
    String destVmId() {
        return destVmId;
    }

    /** Every byte sent on the link's connections so far. */
    long bytesSent() {
        long sum = control.bytesSent();
        for (MigrationChannel ch : streams) {
            sum += ch.bytesSent();
        }
        return sum;
    }

    /** Work for one stream's thread. */
    interface StreamWork {
        void run(int stream, MigrationChannel channel) throws IOException;
    }

    /** Runs {@code work} on every stream's worker; the first failure closes all streams and is thrown. */
    void onEveryStream(StreamWork work) throws Exception {
        List<Future<?>> futures = new ArrayList<>();
        for (int s = 0; s < streams.size(); s++) {
            int stream = s;
            futures.add(workers.submit(() -> {
                work.run(stream, streams.get(stream));
                return null;
            }));
        }
        Exception first = null;
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (first == null) {
                    first = e.getCause() instanceof Exception ex ? ex : new RuntimeException(e.getCause());
                    streams.forEach(MigrationChannel::close);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Ends the data streams' pages before a switchover. */
    void flush(long pages) throws IOException {
        for (MigrationChannel ch : streams) {
            ch.send(new Messages.Flush(pages));
        }
    }

    /** PING on every connection idle for half a second, so the destination does not time out. */
    void keepAlive() {
        long now = System.nanoTime();
        List<MigrationChannel> all = new ArrayList<>(streams);
        all.add(control);
        for (MigrationChannel ch : all) {
            if (now - ch.lastSendNanos() > IDLE_NANOS && !ch.isClosed()) {
                try {
                    ch.send(FrameType.PING);
                } catch (IOException e) {
                    // the sender notices
                }
            }
        }
    }

    /** Tells the destination to discard the migration, and closes. */
    void abort(String why) {
        control.sendQuietly(Reason.abort(why));
        close();
    }

    @Override
    public void close() {
        control.close();
        streams.forEach(MigrationChannel::close);
        workers.shutdownNow();
    }
}
