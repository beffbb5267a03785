package org.vmlab.storage.nbd;

import java.util.concurrent.atomic.AtomicLong;

/** Counters of one NBD server, updated by its connections. */
public final class NbdServerStats {
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong bytesRead = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong connections = new AtomicLong();

    void request() {
        requests.incrementAndGet();
    }

    void read(long n) {
        bytesRead.addAndGet(n);
    }

    void written(long n) {
        bytesWritten.addAndGet(n);
    }

    void error() {
        errors.incrementAndGet();
    }

    void connected() {
        connections.incrementAndGet();
    }

    /** The figures at one moment. */
    public record Snapshot(long connections, long requests, long bytesRead, long bytesWritten, long errors) {
    }

    public Snapshot snapshot() {
        return new Snapshot(connections.get(), requests.get(), bytesRead.get(), bytesWritten.get(), errors.get());
    }
}
