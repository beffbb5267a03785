package org.vmlab.tiering;

import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.tiering.TierMove;
import org.vmlab.api.tiering.TierView;
import org.vmlab.api.tiering.TieringPolicy;

/**
 * A frame goes to the fastest tier with room when first touched, as Linux allocates pages on the
 * local node first; nothing moves afterwards.
 */
@Component(property = {"vmlab.family=tiering", "vmlab.name=first-touch", "service.ranking:Integer=10",
        "vmlab.description=First touched, first served: the fastest tier with room; nothing moves"})
public final class FirstTouchPolicy implements TieringPolicy {

    @Override
    public int place(TierView view, long object) {
        return 0;
    }

    @Override
    public List<TierMove> rebalance(TierView view) {
        return List.of();
    }
}
