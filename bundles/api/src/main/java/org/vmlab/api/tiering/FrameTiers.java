package org.vmlab.api.tiering;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The tiers of one guest's page frames: where each frame is, what touching it costs, and the
 * policy moving frames between tiers in the background. A backend makes one per tiered guest
 * through {@link TieringService#frameTiers} and reports each guest access to it.
 */
@ProviderType
public interface FrameTiers extends AutoCloseable {

    /**
     * The guest touched {@code bytes} of frame {@code pfn}: places the frame if it was never
     * touched, records the access for the policy and charges the frame's tier (one access).
     */
    void access(long pfn, int bytes, boolean write);

    /** Where the frames are and how many moved. */
    TierStatus status();

    /** Stops the policy's rebalancing; idempotent. */
    @Override
    void close();
}
