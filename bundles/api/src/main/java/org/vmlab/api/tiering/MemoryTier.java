package org.vmlab.api.tiering;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A memory tier regions can be allocated from. Registered with {@code vmlab.family=tiering} and a
 * unique {@code vmlab.name}.
 */
@ConsumerType
public interface MemoryTier {

    TierModel model();

    /**
     * A new zeroed region of {@code bytes}.
     *
     * @throws IllegalArgumentException     if {@code bytes <= 0}
     * @throws org.vmlab.api.VmlabException if the tier has not that much capacity left
     */
    TierRegion allocate(long bytes);
}
