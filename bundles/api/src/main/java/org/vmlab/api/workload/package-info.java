/**
 * Guest workloads: what drives a VM during an experiment (idle, memory-intensive, web server,
 * database-like, MPI-like), its throughput over time, and a memory invariant that tells whether a
 * migrated guest is intact. Researchers add workloads by implementing {@link Workload}.
 */
@Export
@Version("2.1.0")
package org.vmlab.api.workload;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
