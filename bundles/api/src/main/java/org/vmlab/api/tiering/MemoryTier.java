package org.vmlab.api.tiering;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One emulated memory tier: a capacity, a {@link TierModel}, and the meter that charges its costs.
 *
 * <p>The JVM cannot read the CPU's performance counters, so a tier cannot see cache misses the
 * way Quartz or Koshiba et al.'s emulator do. Code that touches a tier therefore says so: it
 * charges one {@link #chargeRead read} or {@link #chargeWrite write-back} access per object it
 * touches (a guest word, a page, a key-value item), and the tier adds the model's latency and
 * transfer time to the calling thread's delay debt, which is paid by a calibrated busy-wait once
 * it passes a threshold or when the caller {@link #settle settles}. Bandwidth is shared: the bytes
 * of every thread pass through one clock per direction. All methods are thread-safe.
 */
@ProviderType
public interface MemoryTier {

    /** The tier's name within its owner, e.g. {@code dram}, {@code nvm}. */
    String name();

    TierModel model();

    long capacityBytes();

    /** Bytes of {@link #allocate allocated} regions still open. */
    long allocatedBytes();

    /**
     * A new zeroed region of {@code bytes} of this tier's memory (off the Java heap). Its raw
     * accessors charge nothing: the caller charges what it touches.
     *
     * @throws IllegalArgumentException     if {@code bytes <= 0}
     * @throws org.vmlab.api.VmlabException if the tier has not that much capacity left, or the
     *                                      memory cannot be mapped
     */
    TierRegion allocate(long bytes);

    /** Charges one read access of {@code bytes} (latency, plus transfer at the read bandwidth). */
    void chargeRead(long bytes);

    /**
     * Charges one access of {@code bytes} that involves a write-back (write latency, plus
     * transfer of whole media blocks at the write bandwidth).
     */
    void chargeWrite(long bytes);

    /**
     * Pays the calling thread's delay debt now (e.g. at the end of a request): the debt of every
     * tier sharing this one's debt (tiers of one {@link TieringService} share one, unless made
     * with their own threshold).
     */
    void settle();

    /** What has been charged so far. */
    TierCounters counters();
}
