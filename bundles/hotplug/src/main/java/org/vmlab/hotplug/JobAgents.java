package org.vmlab.hotplug;

import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.hotplug.AgentReply;
import org.vmlab.api.hotplug.AgentRequest;
import org.vmlab.api.hotplug.GuestCooperation;
import org.vmlab.api.vm.Vm;

/**
 * The cooperation protocol across the VMs of a job. Quiesce: every agent is asked to hold at its
 * next barrier, in parallel, until all report the same iteration; then each closes its device
 * path, which it does only if it still holds there (so no message can be in flight). Resume lets
 * them all go.
 */
final class JobAgents {
    private static final Logger LOG = LoggerFactory.getLogger(JobAgents.class);
    private static final int MAX_ROUNDS = 50;

    private final List<GuestCooperation> channels;

    JobAgents(List<GuestCooperation> channels) {
        this.channels = List.copyOf(channels);
    }

    /** The channel to {@code vm}'s agent, or null when it has none. */
    GuestCooperation channel(Vm vm) {
        for (GuestCooperation c : channels) {
            if (c.isAgentConnected(vm)) {
                return c;
            }
        }
        return null;
    }

    /**
     * Holds every rank at one barrier and closes their device paths.
     *
     * @return the barrier iteration, or -1 if no VM has an agent
     * @throws VmlabException if an agent does not answer in time or they never agree; every agent
     *                        asked is resumed first
     */
    long quiesce(List<Vm> vms, Duration timeout) {
        List<Vm> agents = vms.stream().filter(v -> channel(v) != null).toList();
        if (agents.isEmpty()) {
            return -1;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            for (int round = 0; round < MAX_ROUNDS; round++) {
                Map<Vm, AgentReply> held = Parallel.each(agents, Vm::id, v -> ask(v, AgentRequest.of("prepare"), deadline));
                Set<String> at = new HashSet<>();
                held.values().forEach(r -> at.add(r.values().get("iteration")));
                if (at.size() != 1) {
                    continue; // a rank was still one iteration behind: hold again
                }
                String iteration = at.iterator().next();
                Map<Vm, AgentReply> closed = Parallel.each(agents, Vm::id,
                        v -> ask(v, new AgentRequest("close", Map.of("iteration", iteration)), deadline));
                if (closed.values().stream().allMatch(AgentReply::ok)) {
                    return Long.parseLong(iteration);
                }
            }
            throw new VmlabException("the ranks did not agree on a barrier in " + MAX_ROUNDS + " rounds");
        } catch (VmlabException e) {
            resumeQuietly(agents);
            throw new VmlabException("cannot quiesce the job: " + e.getMessage() + "; the job goes on as it was", e);
        }
    }

    /** Lets every rank go on; returns what each agent reported, by VM id. */
    Map<String, Map<String, String>> resume(List<Vm> vms, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Vm> agents = vms.stream().filter(v -> channel(v) != null).toList();
        Map<Vm, AgentReply> replies = Parallel.each(agents, Vm::id, v -> ask(v, AgentRequest.of("resume"), deadline));
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        replies.forEach((vm, r) -> out.put(vm.id(), r.values()));
        return out;
    }

    void resumeQuietly(List<Vm> vms) {
        for (Vm v : vms) {
            try {
                GuestCooperation c = channel(v);
                if (c != null) {
                    c.request(v, AgentRequest.of("resume"), Duration.ofSeconds(2));
                }
            } catch (RuntimeException e) {
                LOG.warn("could not resume the agent of VM '{}': {}", v.id(), e.getMessage());
            }
        }
    }

    private AgentReply ask(Vm vm, AgentRequest request, long deadline) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new VmlabException("timed out before the agent of VM '" + vm.id() + "' was asked to " + request.action());
        }
        GuestCooperation c = channel(vm);
        if (c == null) {
            throw new VmlabException("the agent of VM '" + vm.id() + "' went away");
        }
        return c.request(vm, request, Duration.ofNanos(left));
    }
}
