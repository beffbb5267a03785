/**
 * Typed descriptions of the settings a provider takes (a workload's parameters, an engine's or an
 * ordering's options) and the one validator every family shares: help text, completion and
 * validation all come from the same {@link Parameter} list.
 */
@Export
@Version("1.0.0")
package org.vmlab.api.parameter;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
