package org.vmlab.api.migration;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The migration receiver this node runs, as other nodes reach it: what a cluster node
 * advertises as its data plane.
 *
 * @since 1.4
 */
@ProviderType
public interface ReceiverEndpoint {

    /** Where the receiver listens (the actual port when configured with port 0). */
    Endpoint endpoint();

    /** Whether it speaks TLS. */
    boolean tls();
}
