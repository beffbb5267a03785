package org.vmlab.transport;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.vmlab.api.DataRate;

class RateLimiterPriorityTest {

    @Test
    void prioritySendsNeverWaitAndTheOthersPayForThem() throws Exception {
        RateLimiter bulk = new RateLimiter(DataRate.parse("10m")); // 1.25 MB/s, a 125 KB burst
        RateLimiter urgent = bulk.priority();
        long t0 = System.nanoTime();
        urgent.acquire(1_000_000);
        long urgentNanos = System.nanoTime() - t0;
        assertTrue(urgentNanos < 50_000_000L, "a priority send does not wait: " + urgentNanos / 1_000_000 + " ms");
        t0 = System.nanoTime();
        bulk.acquire(1);
        long bulkNanos = System.nanoTime() - t0;
        // 1 MB minus the 125 KB burst, at 1.25 MB/s: about 0.7 s.
        assertTrue(bulkNanos > 500_000_000L, "the bulk pays the debt: " + bulkNanos / 1_000_000 + " ms");
        assertTrue(urgent.bytesPerSecond() == bulk.bytesPerSecond());
    }
}
