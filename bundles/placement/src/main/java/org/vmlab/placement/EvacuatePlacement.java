package org.vmlab.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.ByteSize;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.placement.Move;
import org.vmlab.api.placement.PlacementInput;
import org.vmlab.api.placement.PlacementInput.VmDemand;
import org.vmlab.api.placement.PlacementPolicy;

/**
 * Moves every VM off one node (maintenance, a site in danger), each, largest first, to the
 * remaining node with the most room left after it: memory first, then CPU. Refuses the whole
 * plan, naming the VM, if one fits nowhere.
 */
@Component(service = PlacementPolicy.class, property = {
        "vmlab.family=placement",
        "vmlab.name=evacuate",
        "vmlab.description=moves every VM off one node, each to the remaining node with the most room"})
public final class EvacuatePlacement implements PlacementPolicy {
    static final String NODE = "node";
    private static final List<Parameter> OPTIONS = List.of(
            Parameter.text(NODE, null, "the node to empty").asRequired(),
            Thresholds.cpu("0", " (default 0: CPUs are no limit when a node must be emptied)"),
            Thresholds.memory("1"));

    @Override
    public List<Parameter> options() {
        return OPTIONS;
    }

    @Override
    public List<Move> plan(PlacementInput input) {
        String node = input.options().text(NODE);
        Bins bins = new Bins(input, input.options().decimal(Thresholds.CPU), input.options().decimal(Thresholds.MEMORY));
        Bins.Bin victim = bins.get(node).orElseThrow(() -> new IllegalArgumentException(
                "no node named '" + node + "' to evacuate; nodes: " + bins.all().stream().map(b -> b.node).toList()));
        List<Bins.Bin> rest = bins.all().stream().filter(b -> b != victim).toList();
        if (rest.isEmpty() && !victim.vms.isEmpty()) {
            throw new IllegalArgumentException("cannot evacuate " + node + ": it is the only node");
        }
        List<Move> moves = new ArrayList<>();
        for (VmDemand vm : Bins.largestFirst(List.copyOf(victim.vms))) {
            Bins.Bin to = rest.stream().filter(b -> b.fits(vm))
                    .max(Comparator.comparingLong((Bins.Bin b) -> b.memoryLimit - b.memory)
                            .thenComparingDouble(b -> b.cpuLimit - b.cpu)
                            .thenComparing(b -> b.node, Comparator.reverseOrder()))
                    .orElseThrow(() -> new IllegalArgumentException("cannot evacuate " + node + ": VM " + vm.id()
                            + " (" + new ByteSize(vm.memoryBytes()) + ", " + String.format("%.2f", vm.cpuLoad())
                            + " CPUs busy) fits on no other node"));
            to.add(vm);
            moves.add(new Move(vm.id(), node, to.node, "evacuate " + node));
        }
        return moves;
    }
}
