/**
 * Guest memory as vmlab engines see it: 4 KiB pages addressed by page frame number, bulk access,
 * and a dirty log. Backends implement it; engines, detectors and policies only consume it.
 */
@Export
@Version("1.1.0")
package org.vmlab.api.memory;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
