package org.vmlab.workloads;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.vmlab.api.hotplug.AgentReply;
import org.vmlab.api.hotplug.AgentRequest;
import org.vmlab.api.vm.DeviceSpec;

/**
 * The guest agent of an mpi rank: the cooperation protocol ({@code prepare}, {@code close},
 * {@code detached}, {@code attached}, {@code resume}, {@code status}) and its hold state, kept in
 * guest memory so a migrated or restored rank waits for the coordinator's resume. Requests are
 * answered by the rank task between its steps.
 */
final class RankAgent {

    /** What the agent sees of its rank. */
    interface Rank {
        long iteration();

        boolean finished();

        /** Between iterations (its message of the current one not sent). */
        boolean between();

        /** A peer sent its message of the current iteration, or a message is arriving. */
        boolean peerAhead();

        Optional<DeviceSpec> device();

        boolean pathOpen();

        void openPath(DeviceSpec device);

        void closePath();

        /** The ledger's counters and the result. */
        Map<String, String> counters();
    }

    private static final int RUNNING = 0;
    private static final int HOLD = 1;
    private static final int FROZEN = 2;

    private final GuestHeader header;
    private final int rankNumber;
    private final AgentInbox inbox = new AgentInbox();
    private volatile boolean holdRequested;
    private volatile boolean frozen;
    private volatile boolean held;

    RankAgent(GuestHeader header, int rankNumber) {
        this.header = header;
        this.rankNumber = rankNumber;
        long hold = header.global(MessageLedger.G_HOLD);
        this.holdRequested = hold >= HOLD;
        this.frozen = hold == FROZEN;
    }

    AgentReply ask(AgentRequest request, Duration timeout, String who) {
        return inbox.ask(request, timeout, who);
    }

    void refuseAll(String why) {
        inbox.refuseAll(why);
    }

    /**
     * One step of the rank task: whether it holds now, after answering what can be answered.
     * A rank holds when asked to, between iterations, and no peer has sent its message of the
     * next one (else that peer waits for ours); once its path is closed it stays frozen until
     * resumed.
     */
    boolean step(Rank r) {
        held = holding(r);
        AgentInbox.Pending p;
        while ((p = inbox.head()) != null && answer(p, r)) {
            inbox.answered(p);
        }
        return held;
    }

    private boolean holding(Rank r) {
        if (!holdRequested || !r.between()) {
            return false;
        }
        return frozen || r.finished() || !r.peerAhead();
    }

    private boolean answer(AgentInbox.Pending p, Rank r) {
        switch (p.request.action()) {
            case "prepare" -> {
                holdRequested = true;
                header.setGlobal(MessageLedger.G_HOLD, frozen ? FROZEN : HOLD);
                held = holding(r);
                if (!held) {
                    return false; // answered when it holds
                }
                p.ok("held at iteration " + r.iteration(), status(r));
            }
            case "close" -> {
                if (!held || !Long.toString(r.iteration()).equals(p.argument("iteration"))) {
                    p.refuse("not held at iteration " + p.argument("iteration") + " (at " + r.iteration()
                            + (held ? ", held" : ", running") + ")");
                } else {
                    frozen = true;
                    header.setGlobal(MessageLedger.G_HOLD, FROZEN);
                    r.closePath();
                    p.ok("device path closed at iteration " + r.iteration(), status(r));
                }
            }
            case "detached" -> p.ok("running on the fallback path", status(r));
            case "attached" -> {
                Optional<DeviceSpec> d = r.device();
                if (d.isEmpty()) {
                    p.refuse("no ivshmem device is attached");
                } else {
                    r.openPath(d.get());
                    p.ok("device path open through " + d.get().id(), status(r));
                }
            }
            case "resume" -> {
                holdRequested = false;
                frozen = false;
                held = false;
                header.setGlobal(MessageLedger.G_HOLD, RUNNING);
                if (!r.pathOpen()) {
                    r.device().ifPresent(r::openPath);
                }
                p.ok("resumed at iteration " + r.iteration(), status(r));
            }
            case "status" -> p.ok(held ? "held" : "running", status(r));
            default -> p.refuse("unknown action '" + p.request.action()
                    + "'; known: prepare, close, detached, attached, resume, status");
        }
        return true;
    }

    private Map<String, String> status(Rank r) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("rank", Integer.toString(rankNumber));
        m.put("iteration", Long.toString(r.iteration()));
        m.put("held", Boolean.toString(held));
        m.put("finished", Boolean.toString(r.finished()));
        m.put("path", r.pathOpen() ? "fast" : "fallback");
        m.putAll(r.counters());
        return m;
    }
}
