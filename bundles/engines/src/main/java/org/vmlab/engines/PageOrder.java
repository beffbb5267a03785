package org.vmlab.engines;

import java.util.BitSet;

import org.vmlab.api.memory.PageSet;
import org.vmlab.api.ordering.OrderingPolicy;
import org.vmlab.api.ordering.RoundContext;

/**
 * The ordering policy's order, checked: a policy is researchers' code, and a page missing or sent
 * twice would corrupt the guest, so anything but a permutation of the pages to send fails the
 * migration cleanly.
 */
final class PageOrder {
    private final OrderingPolicy policy;
    private final String policyName;

    PageOrder(OrderingPolicy policy, String policyName) {
        this.policy = policy;
        this.policyName = policyName;
    }

    /** The pages of {@code rc.toSend()} the policy holds back from this round (checked to be among them). */
    PageSet holdBack(RoundContext rc) {
        PageSet held;
        try {
            held = policy.holdBack(rc);
        } catch (RuntimeException e) {
            throw new IllegalStateException("ordering policy '" + policyName + "' failed in round " + rc.round()
                    + ": " + e, e);
        }
        if (held == null || held.capacity() != rc.toSend().capacity() || !held.minus(rc.toSend()).isEmpty()) {
            throw new IllegalStateException("ordering policy '" + policyName + "' held back pages that are not to be"
                    + " sent in round " + rc.round());
        }
        return held;
    }

    /** The pages of {@code rc.toSend()} in the policy's order. */
    long[] of(RoundContext rc) {
        PageSet toSend = rc.toSend();
        long[] order;
        try {
            order = policy.order(rc);
        } catch (RuntimeException e) {
            throw new IllegalStateException("ordering policy '" + policyName + "' failed in round " + rc.round()
                    + ": " + e, e);
        }
        String bad = null;
        if (order == null) {
            bad = "returned null";
        } else if (order.length != toSend.size()) {
            bad = "returned " + order.length + " pages for " + toSend.size();
        } else {
            BitSet seen = new BitSet();
            for (long pfn : order) {
                if (!toSend.contains(pfn)) {
                    bad = "returned page " + pfn + " that is not to be sent";
                    break;
                }
                if (seen.get((int) pfn)) {
                    bad = "returned page " + pfn + " twice";
                    break;
                }
                seen.set((int) pfn);
            }
        }
        if (bad != null) {
            throw new IllegalStateException("ordering policy '" + policyName + "' " + bad + " in round "
                    + rc.round() + " (not a permutation of the pages to send)");
        }
        return order;
    }
}
