package org.vmlab.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.vmlab.api.parameter.ParameterSet;
import org.vmlab.api.placement.Move;
import org.vmlab.api.placement.PlacementInput;
import org.vmlab.api.placement.PlacementInput.NodeCapacity;
import org.vmlab.api.placement.PlacementInput.VmDemand;
import org.vmlab.api.placement.PlacementPolicy;

class PoliciesTest {
    private static final long MIB = 1 << 20;

    private static PlacementInput input(PlacementPolicy p, Map<String, String> options, List<NodeCapacity> nodes,
                                        List<VmDemand> vms) {
        return new PlacementInput(nodes, vms, ParameterSet.options("test", p.options()).validate(options));
    }

    /** 3 nodes x 4 VMs of 64 MiB, 0.5 CPU busy each; nodes of 8 CPUs, 1 GiB. */
    private static List<VmDemand> twelve() {
        List<VmDemand> vms = new ArrayList<>();
        for (String n : List.of("a", "b", "c")) {
            for (int i = 0; i < 4; i++) {
                vms.add(new VmDemand(n + i, n, 64 * MIB, 1, 0.5));
            }
        }
        return vms;
    }

    private static final List<NodeCapacity> NODES = List.of(new NodeCapacity("a", 8, 1024 * MIB),
            new NodeCapacity("b", 8, 1024 * MIB), new NodeCapacity("c", 8, 1024 * MIB));

    @Test
    void consolidationFreesNodesWhenEverythingFitsOnOne() {
        PlacementPolicy p = new FirstFitConsolidate();
        List<Move> moves = p.plan(input(p, Map.of(), NODES, twelve()));
        assertEquals(8, moves.size(), moves.toString());
        Set<String> targets = moves.stream().map(Move::to).collect(Collectors.toSet());
        assertEquals(1, targets.size(), "everything lands on one node: " + moves);
        assertTrue(moves.stream().noneMatch(m -> targets.contains(m.from())), "a target is never drained");
    }

    @Test
    void theCpuThresholdLimitsPacking() {
        PlacementPolicy p = new FirstFitConsolidate();
        // 8 CPUs x 0.5 = 4 CPUs: 8 VMs of 0.5 fit on a node, so one node of three is freed.
        List<Move> moves = p.plan(input(p, Map.of("cpu-threshold", "0.5"), NODES, twelve()));
        assertEquals(4, moves.size(), moves.toString());
        assertEquals(1, moves.stream().map(Move::from).distinct().count(), "one node drained whole");
    }

    @Test
    void aNodeThatCannotBeDrainedWholeIsLeftAlone() {
        PlacementPolicy p = new FirstFitConsolidate();
        List<Move> moves = p.plan(input(p, Map.of("memory-threshold", "0.3"), NODES, twelve()));
        assertTrue(moves.isEmpty(), "256 MiB on each, 307 MiB allowed: nothing can be freed, nothing moves: " + moves);
    }

    @Test
    void evacuateEmptiesTheNodeSpreadingOverTheRest() {
        PlacementPolicy p = new EvacuatePlacement();
        List<Move> moves = p.plan(input(p, Map.of("node", "b"), NODES, twelve()));
        assertEquals(4, moves.size());
        assertTrue(moves.stream().allMatch(m -> m.from().equals("b") && !m.to().equals("b")));
        assertEquals(Set.of("a", "c"), moves.stream().map(Move::to).collect(Collectors.toSet()), "spread: " + moves);
    }

    @Test
    void evacuateRefusesAnImpossiblePlanAndAnUnknownNode() {
        PlacementPolicy p = new EvacuatePlacement();
        List<NodeCapacity> small = List.of(new NodeCapacity("a", 8, 100 * MIB), new NodeCapacity("b", 8, 1024 * MIB));
        List<VmDemand> vms = List.of(new VmDemand("big", "b", 512 * MIB, 1, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> p.plan(input(p, Map.of("node", "b"), small, vms)));
        assertTrue(e.getMessage().contains("big"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> p.plan(input(p, Map.of("node", "zz"), small, vms)));
        assertThrows(IllegalArgumentException.class, () -> p.plan(input(p, Map.of(), small, vms)), "node is required");
    }

    @Test
    void noneMovesNothing() {
        PlacementPolicy p = new NonePlacement();
        assertTrue(p.plan(input(p, Map.of(), NODES, twelve())).isEmpty());
    }
}
