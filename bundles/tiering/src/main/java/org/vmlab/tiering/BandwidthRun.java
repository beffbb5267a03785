package org.vmlab.tiering;

import java.util.ArrayList;
import java.util.List;

import org.vmlab.api.tiering.MemoryTier;

/**
 * Several threads writing to one tier at once: the aggregate rate its shared bandwidth clock lets
 * through (the bench prints it beside the model's figure; the tests bound it).
 */
public final class BandwidthRun {
    private BandwidthRun() {
    }

    /**
     * Charges {@code bytesPerThread} of writes in {@code blockBytes} pieces on each of {@code threads}
     * threads, each settling its debt at the end, and returns bytes per second over all of them.
     */
    public static double writeBytesPerSecond(MemoryTier tier, int threads, long bytesPerThread, int blockBytes)
            throws InterruptedException {
        List<Thread> all = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < threads; i++) {
            Thread th = new Thread(() -> {
                for (long done = 0; done < bytesPerThread; done += blockBytes) {
                    tier.chargeWrite(blockBytes);
                }
                tier.settle();
            }, "vmlab-tier-bandwidth-" + i);
            all.add(th);
            th.start();
        }
        for (Thread th : all) {
            th.join();
        }
        return threads * (double) bytesPerThread / ((System.nanoTime() - t0) / 1e9);
    }
}
