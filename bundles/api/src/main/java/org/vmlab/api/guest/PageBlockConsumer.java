package org.vmlab.api.guest;

import org.osgi.annotation.versioning.ConsumerType;

/** Receives (frame, block) pairs without boxing; see {@link PageCacheMap#forEach}. */
@ConsumerType
@FunctionalInterface
public interface PageBlockConsumer {
    void accept(long pfn, long block);
}
