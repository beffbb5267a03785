/**
 * Device-passthrough hotplug: detaching pass-through devices before a migration or checkpoint and
 * attaching them again after, coordinated with an agent in the guest so it quiesces and recovers
 * the device cleanly.
 */
@Export
@Version("1.1.0")
package org.vmlab.api.hotplug;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
