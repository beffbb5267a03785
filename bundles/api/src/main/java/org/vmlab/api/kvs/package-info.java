/**
 * Tiered key-value servers: a memcached-compatible server (text and meta protocols) whose items
 * live in DRAM and emulated NVM tiers, started and observed through {@link KvsService}.
 */
@Export
@Version("1.0.0")
package org.vmlab.api.kvs;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
