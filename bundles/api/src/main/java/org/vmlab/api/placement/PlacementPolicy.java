package org.vmlab.api.placement;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;
import org.vmlab.api.parameter.Parameter;

/**
 * Decides where VMs should run. Registered as a service with {@code vmlab.family=placement} and a
 * unique {@code vmlab.name}; a pure function of what it is handed, thread-safe, no state kept.
 */
@ConsumerType
public interface PlacementPolicy {

    /**
     * The migrations to do, in order; each VM at most once, each to a node of the input other
     * than its own.
     *
     * @throws IllegalArgumentException with one sentence if the input or options make no plan
     *                                  possible (e.g. evacuating a node that does not exist)
     */
    List<Move> plan(PlacementInput input);

    /** The options this policy reads from {@link PlacementInput#options()}; validated before it runs. */
    default List<Parameter> options() {
        return List.of();
    }
}
