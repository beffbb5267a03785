package org.vmlab.api.storage;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * One running pre-caching of a device to a backup site. Implemented by the precacher that
 * started it, hence a consumer type. Thread-safe.
 */
@ConsumerType
public interface PrecacheSession extends AutoCloseable {

    PrecacheStats stats();

    /** Stops sending and releases the connection; the backup site keeps what it has. Idempotent. */
    @Override
    void close();
}
