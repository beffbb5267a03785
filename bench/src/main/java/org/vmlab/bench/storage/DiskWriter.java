package org.vmlab.bench.storage;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.vmlab.api.storage.BlockDevice;

/**
 * The guest's disk workload: random 4 KiB block writes of random content, {@code hotShare} of them
 * to a hot region of {@code hotFraction} of the disk, at {@code blocksPerSecond} (0: as fast as it can),
 * with a flush every 256 writes.
 */
final class DiskWriter implements AutoCloseable {
    private final BlockDevice disk;
    private final double hotFraction;
    private final double hotShare;
    private final long blocksPerSecond;
    private final AtomicLong written = new AtomicLong();
    private final Thread thread;
    private volatile boolean stop;

    DiskWriter(BlockDevice disk, double hotFraction, double hotShare, long blocksPerSecond) {
        this.disk = disk;
        this.hotFraction = hotFraction;
        this.hotShare = hotShare;
        this.blocksPerSecond = blocksPerSecond;
        this.thread = new Thread(this::run, "bench-disk-writer");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void run() {
        SplittableRandom rnd = new SplittableRandom(42);
        ByteBuffer buf = ByteBuffer.allocate(disk.blockSize());
        long blocks = disk.blockCount();
        long hot = Math.max(1, (long) (blocks * hotFraction));
        long t0 = System.nanoTime();
        while (!stop) {
            long b = rnd.nextDouble() < hotShare ? rnd.nextLong(hot) : rnd.nextLong(blocks);
            for (int i = 0; i < buf.capacity(); i += 8) {
                buf.putLong(i, rnd.nextLong());
            }
            buf.clear();
            disk.write(b, buf);
            long n = written.incrementAndGet();
            if (n % 256 == 0) {
                disk.flush(); // a guest's filesystem flushes now and then; without it this measures memcpy
            }
            if (blocksPerSecond > 0) {
                long due = t0 + n * 1_000_000_000L / blocksPerSecond;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
        }
    }

    long written() {
        return written.get();
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join(5000);
    }
}
