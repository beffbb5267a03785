package org.vmlab.kvs;

/**
 * memcached's LRU maintainer thread: juggles each class's segments, promotes active NVM items and
 * reclaims expired ones, in short batches under the store's lock; sleeps from 1 ms (busy) up to
 * about 1 s (idle), doubling while there is nothing to do.
 */
final class Maintainer implements Runnable {
    private static final long MIN_SLEEP_MICROS = 1_000;
    private static final long MAX_SLEEP_MICROS = 1_000_000;

    private final ItemStore store;
    private final Thread thread;
    private volatile boolean running = true;

    Maintainer(ItemStore store, String id) {
        this.store = store;
        this.thread = new Thread(this, "vmlab-kvs-" + id + "-lru-maintainer");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    @Override
    public void run() {
        long sleep = MIN_SLEEP_MICROS;
        while (running) {
            int done;
            store.lock.lock();
            try {
                done = store.lru.maintain();
            } finally {
                store.lock.unlock();
            }
            store.settle(); // the copies of promotions and relinks, paid outside the lock
            sleep = done > 0 ? MIN_SLEEP_MICROS : Math.min(MAX_SLEEP_MICROS, sleep * 2);
            try {
                Thread.sleep(sleep / 1000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    void stop() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
