/**
 * Several vmlab nodes as one cluster: membership, the cluster-wide view of VMs and migrations,
 * a leader whose decisions carry an epoch, and events when nodes come and go. The engine behind
 * it (Hazelcast in vmlab's own bundle) stays out of this package, so another could replace it.
 */
@Export
@Version("1.0.0")
package org.vmlab.api.cluster;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
