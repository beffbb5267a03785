/**
 * Virtual machines: their spec, state and lifecycle, and the backends (emu, qemu) that run them.
 * Engines, detectors and workloads see a VM only through these interfaces, never its backend.
 */
@Export
@Version("1.3.0")
package org.vmlab.api.vm;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
