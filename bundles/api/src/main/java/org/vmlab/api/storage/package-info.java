/**
 * Block storage: the block devices behind VM disks, and pre-caching a disk at a backup site over a
 * WAN so it can be evacuated quickly. Researchers add pre-caching strategies by implementing
 * {@link StoragePrecacher}.
 */
@Export
@Version("1.3.0")
package org.vmlab.api.storage;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
