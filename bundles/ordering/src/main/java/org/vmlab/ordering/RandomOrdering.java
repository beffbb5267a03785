package org.vmlab.ordering;

import java.util.SplittableRandom;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.ordering.OrderingPolicy;
import org.vmlab.api.ordering.RoundContext;

/**
 * A uniform random permutation of the round, seeded from the plan's seed and the round number so
 * a run can be repeated exactly.
 */
@Component(service = OrderingPolicy.class, property = {
        "vmlab.family=ordering",
        "vmlab.name=random",
        "vmlab.description=uniform random permutation, reproducible from the plan's seed"})
public final class RandomOrdering implements OrderingPolicy {

    @Override
    public long[] order(RoundContext round) {
        long[] pages = round.toSend().toArray();
        SplittableRandom random = new SplittableRandom(round.seed() * 0x9E3779B97F4A7C15L + round.round());
        for (int i = pages.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long t = pages[i];
            pages[i] = pages[j];
            pages[j] = t;
        }
        return pages;
    }
}
