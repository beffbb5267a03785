package org.vmlab.api.tiering;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The NVM emulator: tier model presets, emulated tiers, tiered guest memory, and the machine's
 * calibration. One per node.
 */
@ProviderType
public interface TieringService {

    /** The built-in models ({@code dram}, {@code optane-dcpmm}, {@code pcm}, {@code reram}). */
    List<TierModel> presets();

    /**
     * A model from a preset name, optionally followed by changes, or from figures alone:
     * {@code optane-dcpmm}, {@code pcm:write=1500ns}, {@code read=300ns,write=900ns,read-bw=10G,write-bw=2G}.
     * Keys: {@code read}, {@code write} (ns, or with ns/us), {@code read-bw}, {@code write-bw}
     * (bytes/s with binary prefixes, 0 = unlimited), {@code line}, {@code block} (bytes).
     *
     * @throws IllegalArgumentException naming what is wrong and the presets
     */
    TierModel model(String spec);

    /**
     * A new emulated tier of {@code capacityBytes} with {@code model}, sharing the node's per-thread
     * delay debt (paid past the configured threshold, or at {@link MemoryTier#settle()}).
     */
    MemoryTier tier(String name, long capacityBytes, TierModel model);

    /**
     * A new emulated tier with its own delay debt, paid once a thread owes {@code debtThresholdNanos}
     * ({@link Long#MAX_VALUE}: only when it {@link MemoryTier#settle settles}, e.g. at the end of a
     * request, after it has released its locks).
     */
    MemoryTier tier(String name, long capacityBytes, TierModel model, long debtThresholdNanos);

    /**
     * The tiers of a guest's {@code frames} page frames laid out as {@code layout}; its policy
     * starts rebalancing at once.
     *
     * @throws IllegalArgumentException     if the layout's sizes do not add up to the frames, or a
     *                                      model or policy option is bad
     * @throws org.vmlab.api.VmlabException if the policy is not installed
     */
    FrameTiers frameTiers(String owner, long frames, TierLayout layout);

    /** The status of the tiered memory of {@code owner}, if it has one open. */
    Optional<TierStatus> status(String owner);

    /** Every open tiered memory's status, by owner. */
    List<TierStatus> statuses();

    /** The stored calibration, measured first if there is none. */
    Calibration calibration();

    /** Measures the machine again and stores the result. */
    Calibration calibrate(Consumer<String> progress);

    /**
     * Runs the pointer-chasing and write-back microbenchmarks in emulated tiers with the given
     * latencies, reads and write-backs, with the asymmetric model and, if {@code symmetric}, also
     * with a symmetric one whose read latency is {@code symmetricReadNanos}.
     *
     * @param latenciesNanos the target latencies, e.g. 200, 400, 600, 800, 1000
     * @param hops           dependent accesses per figure
     * @param bufferBytes    the pointer-chasing buffer: beyond the last-level cache every hop also
     *                       misses in the host (whose own latency is then subtracted); inside it the
     *                       host part is small and steady, which isolates the emulator's own error
     */
    List<AccuracyRow> accuracy(List<Long> latenciesNanos, long hops, long bufferBytes, boolean symmetric,
                               long symmetricReadNanos, Consumer<String> progress);
}
