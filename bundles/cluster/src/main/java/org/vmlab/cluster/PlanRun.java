package org.vmlab.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.vmlab.api.VmlabException;
import org.vmlab.api.cluster.Cluster;
import org.vmlab.api.cluster.ClusterNode;
import org.vmlab.api.cluster.ClusterVm;
import org.vmlab.api.cluster.Leadership;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.placement.ApplyListener;
import org.vmlab.api.placement.ApplyReport;
import org.vmlab.api.placement.ApplySettings;
import org.vmlab.api.placement.Move;
import org.vmlab.api.placement.MoveResult;
import org.vmlab.api.placement.PlacementPlan;

/**
 * One {@code cluster:apply}: plan in the leader's epoch, hand the moves to their source nodes
 * (at most {@code concurrency} at once), and when the membership changes meanwhile, stop handing
 * out moves of the old plan and plan what is left again in the new epoch. Stops, saying why,
 * when this node no longer leads or has no quorum.
 */
final class PlanRun {
    private static final int MAX_PLANS = 6;
    private static final long EPOCH_WAIT_NANOS = 15_000_000_000L;

    private final ClusterPlacement placement;
    private final Cluster cluster;
    private final OrderChannel orders;
    private final String policy;
    private final Map<String, String> options;
    private final ApplySettings settings;
    private final ApplyListener listener;
    private final List<MoveResult> results = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Set<String> attempted = ConcurrentHashMap.newKeySet();

    PlanRun(ClusterPlacement placement, Cluster cluster, OrderChannel orders, String policy, Map<String, String> options,
            ApplySettings settings, ApplyListener listener) {
        this.placement = placement;
        this.cluster = cluster;
        this.orders = orders;
        this.policy = policy;
        this.options = options;
        this.settings = settings;
        this.listener = listener;
    }

    ApplyReport run() {
        long start = System.nanoTime();
        Set<String> hostingBefore = hosting();
        List<Long> epochs = new ArrayList<>();
        String stopped = null;
        String name = policy;
        ExecutorService pool = Executors.newFixedThreadPool(settings.concurrency(), r -> {
            Thread t = new Thread(r, "vmlab-cluster-apply");
            t.setDaemon(true);
            return t;
        });
        try {
            for (int pass = 0; ; pass++) {
                Leadership lead = cluster.leadership();
                stopped = leadershipProblem(lead);
                if (stopped != null) {
                    break;
                }
                if (pass == MAX_PLANS) {
                    stopped = "the membership changed " + MAX_PLANS + " times during the apply";
                    break;
                }
                epochs.add(lead.epoch());
                PlacementPlan plan;
                try {
                    plan = placement.plan(policy, options, lead);
                } catch (VmlabException e) {
                    if (pass == 0) {
                        throw e;
                    }
                    stopped = "re-planning in epoch " + lead.epoch() + " failed: " + e.getMessage();
                    break;
                }
                name = plan.policy();
                List<Move> todo = plan.moves().stream().filter(m -> !attempted.contains(key(m))).toList();
                if (todo.isEmpty() || !runBatch(todo, lead, pool)) {
                    break; // done, or no membership change: nothing new to plan
                }
                Leadership now = awaitNextEpoch(lead);
                listener.onReplan(now.epoch(), "membership changed (epoch " + lead.epoch() + " -> " + now.epoch()
                        + "); planning what is left again");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = "interrupted";
        } finally {
            pool.shutdownNow();
        }
        List<MoveResult> all = List.copyOf(results);
        int moved = (int) all.stream().filter(r -> r.status() == MoveResult.Status.MOVED).count();
        long bytes = all.stream().mapToLong(MoveResult::bytesNetwork).sum();
        boolean allMoved = all.stream().allMatch(r -> r.status() == MoveResult.Status.MOVED);
        ApplyReport.Status status = stopped != null ? ApplyReport.Status.STOPPED
                : allMoved ? ApplyReport.Status.COMPLETED : ApplyReport.Status.PARTIAL;
        Set<String> after = hosting();
        Set<String> up = new TreeSet<>(cluster.nodes().stream().filter(n -> n.state() == ClusterNode.NodeState.UP)
                .map(ClusterNode::name).toList());
        List<String> freed = hostingBefore.stream().filter(n -> up.contains(n) && !after.contains(n)).toList();
        return new ApplyReport(name, status, stopped, epochs, all, moved, bytes, (System.nanoTime() - start) / 1_000_000, freed);
    }

    private String leadershipProblem(Leadership lead) {
        if (!lead.leader().equals(cluster.localNode())) {
            return "this node no longer leads (the leader is " + lead.leader() + " in epoch " + lead.epoch() + ")";
        }
        if (!lead.hasQuorum()) {
            return "quorum lost: " + lead.members() + " members, the quorum is " + lead.quorum();
        }
        return null;
    }

    /** Runs the moves; true if the epoch changed meanwhile (moves not started are left for the next plan). */
    private boolean runBatch(List<Move> todo, Leadership lead, ExecutorService pool) throws InterruptedException {
        List<Future<?>> running = new ArrayList<>();
        for (Move m : todo) {
            running.add(pool.submit(() -> {
                if (!stillCurrent(lead, m)) {
                    return null; // planned in an epoch that is over: the next plan decides again
                }
                attempted.add(key(m));
                MoveResult r = move(m, lead);
                if (r.status() == MoveResult.Status.SKIPPED) {
                    attempted.remove(key(m)); // refused as stale: may be planned again
                }
                results.add(r);
                listener.onResult(r);
                return null;
            }));
        }
        for (Future<?> f : running) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("a move failed unexpectedly", e.getCause());
            }
        }
        return cluster.leadership().epoch() != lead.epoch() || todo.stream().anyMatch(m -> !attempted.contains(key(m)));
    }

    /** The leadership once the leader has set an epoch after {@code lead} (a few seconds at most). */
    private Leadership awaitNextEpoch(Leadership lead) throws InterruptedException {
        long deadline = System.nanoTime() + EPOCH_WAIT_NANOS;
        Leadership now = cluster.leadership();
        while (now.epoch() == lead.epoch() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            now = cluster.leadership();
        }
        return now;
    }

    /**
     * Whether a move planned in {@code lead} may still start: same epoch, and both its nodes are
     * still members (a node can be gone a moment before the leader has set the next epoch).
     */
    private boolean stillCurrent(Leadership lead, Move m) {
        if (cluster.leadership().epoch() != lead.epoch()) {
            return false;
        }
        Set<String> up = new TreeSet<>(cluster.nodes().stream().filter(n -> n.state() == ClusterNode.NodeState.UP)
                .map(ClusterNode::name).toList());
        return up.size() == lead.members() && up.contains(m.from()) && up.contains(m.to());
    }

    private MoveResult move(Move m, Leadership lead) throws InterruptedException {
        Endpoint to;
        try {
            to = cluster.dataPlane(m.to());
        } catch (VmlabException e) {
            return new MoveResult(m.vm(), m.from(), m.to(), MoveResult.Status.FAILED, "-", 0, 0, "-", e.getMessage());
        }
        listener.onStart(m);
        Order issued = orders.issue(m.vm(), m.from(), m.to(), to, settings.engine(), settings.verify(), settings.rate(),
                lead.epoch(), settings.moveTimeout());
        Order o = orders.await(issued);
        MoveResult.Status status = switch (o.status()) {
            case Order.COMPLETED -> "failed".equals(o.verified()) ? MoveResult.Status.FAILED : MoveResult.Status.MOVED;
            case Order.FAILED -> MoveResult.Status.FAILED;
            case Order.REFUSED -> o.detail().startsWith("stale decision") ? MoveResult.Status.SKIPPED : MoveResult.Status.FAILED;
            default -> MoveResult.Status.UNKNOWN;
        };
        String detail = o.detail();
        if (status == MoveResult.Status.UNKNOWN) {
            detail += "; now " + whereIs(m.vm(), m.from(), m.to());
        }
        return new MoveResult(m.vm(), m.from(), m.to(), status, o.migrationId(), o.bytes(), o.timeMs(), o.verified(), detail);
    }

    /** Where the cluster's records put a VM after a move that ended without an answer. */
    private String whereIs(String vm, String from, String to) {
        Set<String> up = new TreeSet<>(cluster.nodes().stream().filter(n -> n.state() == ClusterNode.NodeState.UP)
                .map(ClusterNode::name).toList());
        List<String> where = cluster.vms().stream().filter(v -> v.id().equals(vm) && (v.node().equals(from) || v.node().equals(to)))
                .map(v -> v.node() + (v.lost() || !up.contains(v.node()) ? " (the last record of a departed node)" : "")).toList();
        return where.isEmpty() ? "on neither node's records" : "on " + String.join(" and ", where);
    }

    private Set<String> hosting() {
        Set<String> nodes = new TreeSet<>();
        for (ClusterVm v : cluster.vms()) {
            if (!v.lost()) {
                nodes.add(v.node());
            }
        }
        return nodes;
    }

    private static String key(Move m) {
        return m.vm() + "@" + m.from();
    }
}
