package org.vmlab.api.cluster;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told when nodes join or leave and when the leadership changes: register one as a service
 * (whiteboard). Called on the cluster's event thread: return quickly; exceptions are logged.
 */
@ConsumerType
public interface ClusterListener {
    void onEvent(ClusterEvent event);
}
