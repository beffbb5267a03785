package org.vmlab.api.ordering;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.parameter.Parameter;

/**
 * Orders the pages of one round. Registered as a service with {@code vmlab.family=ordering} and a
 * unique {@code vmlab.name}; engines look it up by name for each migration and keep the instance
 * they started with until the migration ends.
 *
 * <p>Implementations must be thread-safe and must not keep state between calls: everything they
 * may use is in the {@link RoundContext}.
 */
@ConsumerType
public interface OrderingPolicy {

    /**
     * The pages of {@code round.toSend()}, each exactly once, in the order they should be sent.
     * Engines check the result and fail the migration cleanly if a page is missing or repeated.
     */
    long[] order(RoundContext round);

    /**
     * Pages of {@code round.toSend()} this policy would rather not send in this precopy round, as
     * they are likely to be written again before switchover (sending them now would only send them
     * twice). The engine keeps them stale: a later round sends them once the policy lets them go,
     * and the switchover sends whatever is left. A round in which every page is held back ends
     * the precopy phase. Default: none.
     */
    default PageSet holdBack(RoundContext round) {
        return PageSet.empty(round.toSend().capacity());
    }

    /**
     * The plan options this policy reads ({@link RoundContext} carries them); validated with the
     * engine's before a migration starts.
     */
    default List<Parameter> options() {
        return List.of();
    }
}
