package org.vmlab.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Set;
import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.placement.Move;
import org.vmlab.api.placement.PlacementInput;
import org.vmlab.api.placement.PlacementInput.VmDemand;
import org.vmlab.api.placement.PlacementPolicy;

/**
 * Packs VMs onto as few nodes as memory and a CPU threshold allow, so that idle nodes can be
 * switched off. It drains the emptiest node first: all of its VMs, largest first, go first-fit to
 * the fullest other nodes that still host VMs; a node whose VMs do not all fit is left as it is,
 * since moving only some of them frees nothing. Only VMs of drained nodes move.
 */
@Component(service = PlacementPolicy.class, property = {
        "vmlab.family=placement",
        "vmlab.name=first-fit-consolidate",
        "vmlab.description=packs VMs first-fit onto as few nodes as memory and a CPU threshold allow, freeing nodes to switch off"})
public final class FirstFitConsolidate implements PlacementPolicy {
    private static final List<Parameter> OPTIONS = List.of(
            Thresholds.cpu("0.8", " (0 = no CPU limit)"),
            Thresholds.memory("0.9"));

    @Override
    public List<Parameter> options() {
        return OPTIONS;
    }

    @Override
    public List<Move> plan(PlacementInput input) {
        Bins bins = new Bins(input, input.options().decimal(Thresholds.CPU), input.options().decimal(Thresholds.MEMORY));
        List<Move> moves = new ArrayList<>();
        List<String> drained = new ArrayList<>();
        List<Bins.Bin> candidates = new ArrayList<>(bins.usedFullestFirst());
        candidates.sort(Comparator.comparingDouble(Bins.Bin::fill).thenComparing(b -> b.node));
        Set<String> receivers = new HashSet<>(); // a node that took VMs stays on: each VM moves at most once
        for (Bins.Bin victim : candidates) {
            if (receivers.contains(victim.node)) {
                continue;
            }
            List<Bins.Bin> targets = bins.usedFullestFirst().stream()
                    .filter(b -> b != victim && !drained.contains(b.node)).toList();
            List<Move> drain = drain(victim, targets);
            if (drain != null) {
                moves.addAll(drain);
                drained.add(victim.node);
                drain.forEach(m -> receivers.add(m.to()));
            }
        }
        return moves;
    }

    /** Moves every VM of {@code victim} into {@code targets}, or none (returns null) if one does not fit. */
    private static List<Move> drain(Bins.Bin victim, List<Bins.Bin> targets) {
        List<Move> moves = new ArrayList<>();
        List<Placed> placed = new ArrayList<>();
        for (VmDemand vm : Bins.largestFirst(List.copyOf(victim.vms))) {
            Bins.Bin to = targets.stream().filter(b -> b.fits(vm)).findFirst().orElse(null);
            if (to == null) {
                placed.forEach(p -> p.to.remove(p.vm)); // undo: a half-drained node frees nothing
                return null;
            }
            to.add(vm);
            placed.add(new Placed(vm, to));
            moves.add(new Move(vm.id(), victim.node, to.node, "consolidate: " + victim.node + " can be switched off"));
        }
        placed.forEach(p -> victim.remove(p.vm));
        return moves;
    }

    private record Placed(VmDemand vm, Bins.Bin to) {
    }
}
