package org.vmlab.api.placement;

import java.util.List;
import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;

/** Plans with a placement policy over the cluster's nodes and VMs, and applies the plan. */
@ProviderType
public interface PlacementService {

    /**
     * What {@code policy} would do now.
     *
     * @param options the policy's options by name, as text; a bare value list is not accepted
     *                here: the shell maps positional values to option names
     * @throws org.vmlab.api.VmlabException with one sentence: no cluster, no such policy, bad option
     */
    PlacementPlan plan(String policy, Map<String, String> options);

    /**
     * Plans and runs the migrations, at most {@code settings.concurrency()} at once, each on its
     * source node. Only the leader applies, and only with a quorum of members; when the
     * membership changes the rest is planned again in the new epoch.
     */
    ApplyReport apply(String policy, Map<String, String> options, ApplySettings settings, ApplyListener listener);

    /** The placement policies installed, by name, the default first. */
    List<String> policies();
}
