package org.vmlab.storage.precache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.storage.BlockDevice;
import org.vmlab.api.storage.PrecacheSession;
import org.vmlab.api.storage.PrecacheStats;
import org.vmlab.storage.nbd.NbdClient;
import org.vmlab.transport.RateLimiter;

/**
 * One pre-caching session: a write tracker on the source disk and a sender thread that tells the
 * backup site to forget blocks written since it got them (NBD TRIM on its cache export) and sends
 * the blocks its strategy picks (NBD WRITE, pipelined, under the bandwidth cap). A lost backup
 * site only stops the sending: the VM's writes keep being tracked, and the sender reconnects
 * every interval, resuming from the bitmap.
 */
final class PrecacheRun implements PrecacheSession, PrecacheHealth {
    private static final Logger LOG = LoggerFactory.getLogger(PrecacheRun.class);
    /** Blocks per NBD write at most (contiguous runs are merged). */
    private static final int RUN = 256;
    /** Writes in flight at most: 32 MiB, over the bandwidth-delay product of 1 Gbit/s x 150 ms. */
    private static final int WINDOW = 32;
    /** Writes per pass, between which the backup site is told what went stale. */
    private static final int BATCH = 256;

    private final BlockDevice source;
    private final PrecacheState state;
    private final BlockPicker picker;
    private final boolean sends;
    private final Supplier<NbdClient> connector;
    private final RateLimiter cap;
    private final long intervalMillis;
    private final AutoCloseable tracking;
    private final Thread sender;
    private final AtomicLong bytesSent = new AtomicLong();
    private volatile String failure;
    private volatile boolean closed;

    PrecacheRun(BlockDevice source, PrecacheState state, BlockPicker picker, Supplier<NbdClient> connector,
                RateLimiter cap, long intervalMillis, String name) {
        this.source = source;
        this.state = state;
        this.picker = picker;
        this.sends = picker != null;
        this.connector = connector;
        this.cap = cap;
        this.intervalMillis = intervalMillis;
        try {
            this.tracking = source.trackWrites((first, count) -> state.written(first, count,
                    System.currentTimeMillis()));
        } catch (UnsupportedOperationException e) {
            throw new IllegalArgumentException("this disk does not report its writes, so it cannot be pre-cached;"
                    + " serve it through vmlab's NBD server (storage:export)", e);
        }
        this.sender = new Thread(this::sendLoop, "vmlab-precache-" + name);
        this.sender.setDaemon(true);
        this.sender.start();
    }

    private void sendLoop() {
        while (!closed) {
            if (!sends) {
                sleep(intervalMillis);
                continue;
            }
            try (NbdClient c = connector.get()) {
                failure = null;
                while (!closed) {
                    boolean idle = !invalidate(c) & !sendSome(c);
                    if (idle) {
                        c.flush();
                        state.force();
                        sleep(intervalMillis);
                    }
                }
                // Stopping: the backup site must not keep copies of blocks written since they were sent.
                invalidate(c);
                c.flush();
            } catch (IOException | RuntimeException e) {
                state.lost();
                if (!closed) {
                    failure = "backup site unreachable: " + e.getMessage();
                    LOG.debug("pre-caching: {}; retrying in {} ms", e.toString(), intervalMillis);
                    sleep(intervalMillis);
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Tells the backup site to forget the blocks written since it got them (pipelined trims); true if any. */
    private boolean invalidate(NbdClient c) throws IOException {
        int bs = source.blockSize();
        List<CompletableFuture<Void>> inFlight = new ArrayList<>();
        long from = 0;
        for (long[] run = state.takeInvalid(from, 1 << 16); run != null; run = state.takeInvalid(from, 1 << 16)) {
            inFlight.add(c.trimAsync(run[0] * bs, (int) (run[1] * bs)));
            bytesSent.addAndGet(28);
            from = run[0] + run[1];
        }
        for (CompletableFuture<Void> f : inFlight) {
            NbdClient.await(f);
        }
        return !inFlight.isEmpty();
    }

    /**
     * Sends what the strategy picks, up to {@link #BATCH} requests, keeping {@link #WINDOW} of them
     * in flight (a long fat link needs bytes in flight, not one round trip per batch); true if it
     * sent any.
     */
    private boolean sendSome(NbdClient c) throws IOException, InterruptedException {
        int bs = source.blockSize();
        ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
        int sent = 0;
        while (sent < BATCH && !closed) {
            long now = System.currentTimeMillis();
            long first = picker.next(state, now);
            if (first < 0) {
                break;
            }
            int count = 1;
            while (count < RUN && first + count < state.blocks() && state.isSendable(first + count)
                    && picker.eligible(state, first + count, now)) {
                count++;
            }
            picker.advance(first + count);
            ByteBuffer buf = ByteBuffer.allocate(count * bs);
            for (int k = 0; k < count; k++) {
                state.reading(first + k);
                source.read(first + k, buf);
            }
            buf.flip();
            cap.acquire(buf.remaining() + 28L);
            final long f = first;
            final int cnt = count;
            inFlight.add(c.writeAsync(first * bs, buf, false).thenRun(() -> {
                bytesSent.addAndGet((long) cnt * bs + 28); // before the blocks count as cached
                for (int k = 0; k < cnt; k++) {
                    state.acknowledged(f + k);
                }
            }));
            sent++;
            if (inFlight.size() >= WINDOW) {
                NbdClient.await(inFlight.poll());
            }
        }
        while (!inFlight.isEmpty()) {
            NbdClient.await(inFlight.poll());
        }
        return sent > 0;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public PrecacheStats stats() {
        long total = state.blocks();
        return new PrecacheStats(total, state.cachedCount(), Math.min(total, state.dirtyCount()), bytesSent.get(),
                System.currentTimeMillis());
    }

    @Override
    public String problem() {
        String f = failure;
        long stale = state.invalidCount();
        return f == null ? null : f + (stale == 0 ? "" : "; the backup site still holds stale copies of " + stale
                + " blocks");
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            tracking.close();
        } catch (Exception ignored) {
            // the disk may be gone already
        }
        try {
            sender.join(Math.max(2000, 4 * intervalMillis)); // let it tell the backup site what went stale
            if (sender.isAlive()) {
                sender.interrupt();
                sender.join(5000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        state.force();
    }
}
