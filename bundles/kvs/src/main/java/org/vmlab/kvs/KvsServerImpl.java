package org.vmlab.kvs;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.kvs.KvsServer;
import org.vmlab.api.kvs.KvsStats;
import org.vmlab.api.tiering.MemoryTier;
import org.vmlab.api.tiering.TieringService;

/**
 * A running tiered key-value server: the store, an acceptor thread, worker threads with their
 * selectors, and the LRU maintainer thread.
 */
final class KvsServerImpl implements KvsServer {
    static final String VERSION = "1.6.18-vmlab";
    private static final Logger LOG = LoggerFactory.getLogger(KvsServerImpl.class);

    private final String id;
    private final KvsOptions options;
    private final ItemStore store;
    private final Operations operations;
    private final ServerSocketChannel listener;
    private final List<Worker> workers = new ArrayList<>();
    private final Thread acceptor;
    private final Maintainer maintainer;
    private final long started = System.currentTimeMillis();
    private final AtomicLong current = new AtomicLong();
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong buffered = new AtomicLong();
    private final AtomicLong bytesRead = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();
    private final AtomicLong protocolErrors = new AtomicLong();
    private final Runnable onClose;
    private volatile boolean closed;

    private KvsServerImpl(String id, KvsOptions options, ItemStore store, ServerSocketChannel listener,
                          Runnable onClose) throws IOException {
        this.id = id;
        this.options = options;
        this.store = store;
        this.operations = new Operations(store);
        this.listener = listener;
        this.onClose = onClose;
        for (int i = 0; i < options.threads(); i++) {
            workers.add(new Worker(this, i));
        }
        this.acceptor = new Thread(this::accept, "vmlab-kvs-" + id + "-acceptor");
        this.acceptor.setDaemon(true);
        this.maintainer = new Maintainer(store, id);
    }

    /** Takes the tiers' memory, binds, and starts every thread. */
    static KvsServerImpl start(String id, KvsOptions o, TieringService tiering, Runnable onClose) {
        SlabClasses classes = new SlabClasses(o.growthFactor(), (int) KvsOptions.PAGE);
        TierSlabs[] tiers = new TierSlabs[2];
        ServerSocketChannel ch = null;
        try {
            if (o.mode().usesDram) {
                tiers[0] = slabs(0, "dram", o.dramBytes(), o.dramModel(), tiering, classes);
            }
            if (o.mode().usesNvm) {
                tiers[1] = slabs(1, "nvm", o.nvmBytes(), o.nvmModel(), tiering, classes);
            }
            ItemStore store = new ItemStore(o.mode(), tiers, classes, o.itemMaxBytes(), o.hotPercent(), o.warmPercent());
            ch = ServerSocketChannel.open();
            ch.bind(new InetSocketAddress(o.host(), o.port()), 1024);
            KvsServerImpl s = new KvsServerImpl(id, o, store, ch, onClose);
            s.workers.forEach(Worker::start);
            s.acceptor.start();
            s.maintainer.start();
            LOG.info("kvs {} listening on {} ({})", id, s.address(), o.mode().label());
            return s;
        } catch (IOException | RuntimeException e) {
            for (TierSlabs t : tiers) {
                if (t != null) {
                    t.close();
                }
            }
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // failing anyway
                }
            }
            if (e instanceof RuntimeException re) {
                throw re; // a bad model or no memory for the tiers: the message says which
            }
            throw new VmlabException("kvs " + id + " cannot listen on " + o.host() + ":" + o.port() + ": "
                    + e.getMessage(), e);
        }
    }

    private static TierSlabs slabs(int index, String name, long limit, String model, TieringService tiering,
                                   SlabClasses classes) {
        // Debts are paid only when a worker settles, after it has released the store's lock.
        MemoryTier tier = tiering.tier(name, limit, tiering.model(model), Long.MAX_VALUE);
        return new TierSlabs(index, tier, limit, classes, (int) KvsOptions.PAGE);
    }

    private void accept() {
        int next = 0;
        while (!closed) {
            try {
                SocketChannel c = listener.accept();
                total.incrementAndGet();
                if (current.incrementAndGet() > options.maxConnections()) {
                    current.decrementAndGet();
                    rejected.incrementAndGet();
                    try (c) {
                        c.write(ByteBuffer.wrap(Replies.TOO_MANY_CONNECTIONS));
                    }
                    continue;
                }
                workers.get(next).hand(c);
                next = (next + 1) % workers.size();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("kvs {}: accept failed: {}", id, e.toString());
                    sleepQuietly(); // e.g. out of file descriptors: do not spin
                }
            }
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------ used by connections

    Operations operations() {
        return operations;
    }

    void connectionClosed() {
        current.decrementAndGet();
    }

    boolean reserveBuffer(long bytes) {
        while (true) {
            long b = buffered.get();
            if (b + bytes > options.bufferMemory()) {
                return false;
            }
            if (buffered.compareAndSet(b, b + bytes)) {
                return true;
            }
        }
    }

    void releaseBuffer(long bytes) {
        buffered.addAndGet(-bytes);
    }

    /** Replies queued (positive) or written (negative): they count against the buffer memory too. */
    void buffered(long bytes) {
        buffered.addAndGet(bytes);
    }

    long bufferedBytes() {
        return buffered.get();
    }

    boolean bufferRoom() {
        return buffered.get() < options.bufferMemory();
    }

    void countRead(long n) {
        bytesRead.addAndGet(n);
    }

    void countWritten(long n) {
        bytesWritten.addAndGet(n);
    }

    void countProtocolError() {
        protocolErrors.incrementAndGet();
    }

    void resetStats() {
        store.resetCounters();
        total.set(0);
        rejected.set(0);
        bytesRead.set(0);
        bytesWritten.set(0);
        protocolErrors.set(0);
    }

    /** The lines of {@code stats <section>}, or null for an unknown section. */
    Map<String, String> statsSection(String section) {
        return new StatsView(this, store, options).section(section);
    }

    long uptime() {
        return (System.currentTimeMillis() - started) / 1000;
    }

    long[] connectionCounters() {
        return new long[]{current.get(), total.get(), rejected.get(), bytesRead.get(), bytesWritten.get(),
                protocolErrors.get()};
    }

    // ------------------------------------------------------------ KvsServer

    @Override
    public String id() {
        return id;
    }

    @Override
    public InetSocketAddress address() {
        try {
            return (InetSocketAddress) listener.getLocalAddress();
        } catch (IOException e) {
            return new InetSocketAddress(options.host(), options.port());
        }
    }

    @Override
    public Map<String, String> options() {
        return options.given();
    }

    KvsOptions settings() {
        return options;
    }

    @Override
    public KvsStats stats() {
        return new StatsView(this, store, options).stats();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            listener.close();
        } catch (IOException e) {
            // closing anyway
        }
        try {
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.forEach(Worker::stop);
        maintainer.stop();
        store.close();
        onClose.run();
        LOG.info("kvs {} stopped", id);
    }
}
