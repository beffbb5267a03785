package org.vmlab.cluster;

import java.time.Duration;

import org.vmlab.api.migration.Endpoint;

/**
 * How the placement service hands migrations to their source nodes; a service inside this
 * bundle only (its package is not exported), provided by the cluster component.
 */
interface OrderChannel {

    /** Issues a signed order in {@code epoch} for {@code from} to migrate {@code vm} to {@code to}. */
    Order issue(String vm, String from, String to, Endpoint toEndpoint, String engine, boolean verify, String rate,
                long epoch, Duration timeout);

    /** Waits for its outcome, or until its source node leaves or its time is up. */
    Order await(Order issued) throws InterruptedException;
}
