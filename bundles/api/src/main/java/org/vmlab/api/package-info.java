/**
 * What every vmlab package shares: the user-facing {@link org.vmlab.api.VmlabException} and the
 * {@link org.vmlab.api.DataRate} and {@link org.vmlab.api.ByteSize} quantities that plans, specs
 * and shell arguments are written in.
 */
@Export
@Version("1.0.0")
package org.vmlab.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
