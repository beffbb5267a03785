/**
 * Placement and consolidation: a {@link PlacementPolicy} (family {@code placement}) turns nodes
 * and VMs with their load into migrations; the {@link PlacementService} plans with a policy and
 * applies the plan across the cluster. Researchers add policies in their own bundles.
 */
@Export
@Version("1.0.0")
package org.vmlab.api.placement;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
