package org.vmlab.placement;

import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.placement.Move;
import org.vmlab.api.placement.PlacementInput;
import org.vmlab.api.placement.PlacementPolicy;

/** Leaves every VM where it is: the baseline every other policy is compared with. */
@Component(service = PlacementPolicy.class, property = {
        "vmlab.family=placement",
        "vmlab.name=none",
        "service.ranking:Integer=100",
        "vmlab.description=moves nothing (the baseline)"})
public final class NonePlacement implements PlacementPolicy {
    @Override
    public List<Move> plan(PlacementInput input) {
        return List.of();
    }
}
