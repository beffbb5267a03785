/**
 * Memory tiering: emulated memory tiers (DRAM, NVM) described by a {@link TierModel} with separate
 * read and write-back latencies and bandwidths, the {@link TieringService} that makes them and
 * tiered guest memory, and the {@link TieringPolicy} providers that place and move page frames.
 * Researchers add policies by implementing {@link TieringPolicy}.
 */
@Export
@Version("2.0.0")
package org.vmlab.api.tiering;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
