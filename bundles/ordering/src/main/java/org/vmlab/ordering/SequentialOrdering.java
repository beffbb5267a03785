package org.vmlab.ordering;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.ordering.OrderingPolicy;
import org.vmlab.api.ordering.RoundContext;

/** Ascending page frame numbers: the order QEMU's RAM iterator walks guest memory in. */
@Component(service = OrderingPolicy.class, property = {
        "vmlab.family=ordering",
        "vmlab.name=sequential",
        "vmlab.description=ascending page frame number (QEMU's order)",
        "service.ranking:Integer=100"})
public final class SequentialOrdering implements OrderingPolicy {

    @Override
    public long[] order(RoundContext round) {
        return round.toSend().toArray();
    }
}
