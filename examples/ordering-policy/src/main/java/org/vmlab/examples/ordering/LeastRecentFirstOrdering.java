package org.vmlab.examples.ordering;

import java.util.Arrays;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.ordering.OrderingPolicy;
import org.vmlab.api.ordering.PageHistory;
import org.vmlab.api.ordering.RoundContext;

/**
 * An example policy: pages never dirtied go first, then pages by how long ago they were last
 * dirtied, the most recently written last. The service properties are all vmlab needs to find
 * it: {@code vmlab.family}, a unique {@code vmlab.name}, and a one-line description.
 */
@Component(service = OrderingPolicy.class, property = {
        "vmlab.family=ordering",
        "vmlab.name=least-recent-first",
        "vmlab.description=example: pages dirtied longest ago first, most recently written last"})
public final class LeastRecentFirstOrdering implements OrderingPolicy {

    @Override
    public long[] order(RoundContext round) {
        PageHistory history = round.history();
        long[] pages = round.toSend().toArray();
        return Arrays.stream(pages).boxed()
                .sorted((a, b) -> {
                    int byRecency = Integer.compare(history.lastDirtied(a), history.lastDirtied(b));
                    return byRecency != 0 ? byRecency : Long.compare(a, b);
                })
                .mapToLong(Long::longValue)
                .toArray();
    }
}
