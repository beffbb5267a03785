package org.vmlab.api.storage;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told of every completed write to a {@link BlockDevice}. Called on the writer's thread, so it
 * must be quick (set a bit, enqueue).
 *
 * @since 1.2
 */
@ConsumerType
@FunctionalInterface
public interface BlockWriteListener {

    /** Blocks {@code [firstBlock, firstBlock + blocks)} were written. */
    void written(long firstBlock, int blocks);
}
