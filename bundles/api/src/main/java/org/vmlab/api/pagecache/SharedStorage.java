package org.vmlab.api.pagecache;

import java.nio.file.Path;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Shared storage both hosts of a migration reach over their own link (a SAN): a node's service
 * that serves disk images block by block, with a rate limit and a per-request latency and depth
 * model of its own, separate from the migration network.
 *
 * @since 1.1
 */
@ProviderType
public interface SharedStorage {

    /** Empty when {@code image} can be served; otherwise one sentence saying why not. */
    Optional<String> unsupportedReason(Path image);

    /**
     * Opens a session on {@code image} over a SAN link of this shape.
     *
     * @throws org.vmlab.api.VmlabException if the image cannot be served or the endpoint is down
     */
    SanSession open(Path image, SanModel model);
}
