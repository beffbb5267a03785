/**
 * What every vmlab provider service has in common: the service properties that name it and its
 * family, and the catalog that lists providers across families.
 */
@Export
@Version("1.2.0")
package org.vmlab.api.provider;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
