/**
 * Memory tiering: memory tiers (DRAM, emulated NVM, ...) described by their latency and bandwidth,
 * and policies that decide which objects live in which tier. Researchers add tiers and policies by
 * implementing {@link MemoryTier} and {@link TieringPolicy}.
 */
@Export
@Version("1.0.0")
package org.vmlab.api.tiering;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
