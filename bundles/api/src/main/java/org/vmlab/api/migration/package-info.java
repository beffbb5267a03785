/**
 * Live migration: the plan a user or experiment writes, the engines that carry it out, the
 * service that runs and tracks migrations, and the report every migration ends with.
 * Researchers add engines by implementing {@link TransferEngine}.
 */
@Export
@Version("1.5.0")
package org.vmlab.api.migration;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
