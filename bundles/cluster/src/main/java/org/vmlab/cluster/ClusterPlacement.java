package org.vmlab.cluster;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.vmlab.api.VmlabException;
import org.vmlab.api.cluster.Cluster;
import org.vmlab.api.cluster.ClusterNode;
import org.vmlab.api.cluster.ClusterVm;
import org.vmlab.api.cluster.Leadership;
import org.vmlab.api.parameter.ParameterSet;
import org.vmlab.api.placement.ApplyListener;
import org.vmlab.api.placement.ApplyReport;
import org.vmlab.api.placement.ApplySettings;
import org.vmlab.api.placement.Move;
import org.vmlab.api.placement.PlacementInput;
import org.vmlab.api.placement.PlacementPlan;
import org.vmlab.api.placement.PlacementPolicy;
import org.vmlab.api.placement.PlacementService;

/**
 * Plans with a placement policy over the cluster view (members up, VMs not lost) and applies the
 * plan through signed orders to the source nodes, in the leader's epoch ({@link PlanRun}).
 */
@Component(service = PlacementService.class)
public final class ClusterPlacement implements PlacementService {
    private final Cluster cluster;
    private final OrderChannel orders;
    private final PlacementPolicies policies = new PlacementPolicies();

    @org.osgi.service.component.annotations.Activate
    public ClusterPlacement(@Reference Cluster cluster, @Reference OrderChannel orders) {
        this.cluster = cluster;
        this.orders = orders;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            target = "(vmlab.family=placement)")
    void addPolicy(PlacementPolicy p, Map<String, Object> props) {
        policies.add(p, props);
    }

    void removePolicy(PlacementPolicy p) {
        policies.remove(p);
    }

    @Override
    public List<String> policies() {
        return policies.names();
    }

    @Override
    public PlacementPlan plan(String policy, Map<String, String> options) {
        return plan(policy, options, cluster.leadership());
    }

    PlacementPlan plan(String policyName, Map<String, String> options, Leadership lead) {
        PlacementPolicy policy = policies.find(policyName);
        String name = policyName == null ? policies.names().get(0) : policyName;
        List<ClusterNode> up = cluster.nodes().stream().filter(n -> n.state() == ClusterNode.NodeState.UP).toList();
        List<ClusterVm> vms = cluster.vms().stream().filter(v -> !v.lost()).toList();
        PlacementInput input;
        List<Move> moves;
        try {
            input = new PlacementInput(
                    up.stream().map(n -> new PlacementInput.NodeCapacity(n.name(), n.cpus(), n.memoryBytes())).toList(),
                    vms.stream().map(v -> new PlacementInput.VmDemand(v.id(), v.node(), v.memoryBytes(), v.vcpus(), v.cpuLoad())).toList(),
                    ParameterSet.options("placement policy '" + name + "'", policy.options()).validate(options));
            moves = policy.plan(input);
        } catch (IllegalArgumentException e) {
            throw new VmlabException(e.getMessage(), e);
        }
        Set<String> before = new TreeSet<>();
        vms.forEach(v -> before.add(v.node()));
        Set<String> after = new TreeSet<>();
        Set<String> movedAway = new LinkedHashSet<>();
        for (Move m : moves) {
            movedAway.add(m.vm() + "@" + m.from());
            after.add(m.to());
        }
        vms.stream().filter(v -> !movedAway.contains(v.id() + "@" + v.node())).forEach(v -> after.add(v.node()));
        List<String> freed = before.stream().filter(n -> !after.contains(n)).toList();
        return new PlacementPlan(name, lead.leader(), lead.epoch(), moves, new ArrayList<>(before), new ArrayList<>(after), freed);
    }

    @Override
    public ApplyReport apply(String policy, Map<String, String> options, ApplySettings settings, ApplyListener listener) {
        Leadership lead = cluster.leadership();
        if (!lead.leader().equals(cluster.localNode())) {
            throw new VmlabException("only the leader applies plans: run cluster:apply on " + lead.leader()
                    + " (this is " + cluster.localNode() + ")");
        }
        if (!lead.hasQuorum()) {
            throw new VmlabException("no quorum: the leader sees " + lead.members() + " members, the quorum is " + lead.quorum());
        }
        return new PlanRun(this, cluster, orders, policy, options, settings, listener).run();
    }
}
