/**
 * Introspection of the guest OS layer: which page frames hold clean page-cache copies of which
 * disk blocks, and the guest's I/O as it happens. Page-cache detectors build on it to send such
 * pages as (frame, block) references over a SAN instead of their content.
 */
@Export
@Version("1.2.0")
package org.vmlab.api.guest;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
