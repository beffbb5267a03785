/**
 * Ordering policies: in which order the pages of one transfer round cross the link. Policies are
 * pure functions of what they are handed; researchers implement {@link OrderingPolicy} in their
 * own bundles (see examples/ordering-policy).
 */
@Export
@Version("1.2.0")
package org.vmlab.api.ordering;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
