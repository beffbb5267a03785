package org.vmlab.tiering;

import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.tiering.TierMove;
import org.vmlab.api.tiering.TierView;
import org.vmlab.api.tiering.TieringPolicy;

/**
 * Frames live where their address says, like NUMA nodes of fixed size: the first frames in the
 * first tier, the next ones in the second, and so on; nothing ever moves.
 */
@Component(property = {"vmlab.family=tiering", "vmlab.name=static",
        "vmlab.description=By address: the first frames in the first tier, the rest in the next; nothing moves"})
public final class StaticPolicy implements TieringPolicy {

    @Override
    public int place(TierView view, long object) {
        long end = 0;
        for (int t = 0; t < view.tiers().size(); t++) {
            end += view.capacity(t);
            if (object < end) {
                return t;
            }
        }
        return view.tiers().size() - 1;
    }

    @Override
    public List<TierMove> rebalance(TierView view) {
        return List.of();
    }
}
