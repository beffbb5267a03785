package org.vmlab.workloads;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.vmlab.api.VmlabException;
import org.vmlab.api.hotplug.AgentReply;
import org.vmlab.api.hotplug.AgentRequest;

/**
 * Requests from the host to a guest task, answered by the task itself between its steps (the
 * guest's agent runs on the guest's vCPUs: a paused guest does not answer). A request not answered
 * in time is withdrawn; one already acted on stays done.
 */
final class AgentInbox {

    /** A request and the reply its sender waits for. */
    static final class Pending {
        final AgentRequest request;
        final CompletableFuture<AgentReply> reply = new CompletableFuture<>();

        Pending(AgentRequest request) {
            this.request = request;
        }

        String argument(String key) {
            return request.arguments().getOrDefault(key, "");
        }

        void ok(String message, Map<String, String> values) {
            reply.complete(new AgentReply(true, message, values));
        }

        void refuse(String message) {
            reply.complete(new AgentReply(false, message, Map.of()));
        }
    }

    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();

    /** Sends a request and waits for the task's reply. */
    AgentReply ask(AgentRequest request, Duration timeout, String who) {
        Pending p = new Pending(request);
        queue.add(p);
        try {
            return p.reply.get(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            p.reply.cancel(false);
            queue.remove(p);
            throw new VmlabException(who + " did not answer '" + request.action() + "' within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            p.reply.cancel(false);
            queue.remove(p);
            Thread.currentThread().interrupt();
            throw new VmlabException("interrupted while waiting for " + who + " to answer '" + request.action() + "'");
        } catch (ExecutionException e) {
            throw new VmlabException(who + " failed on '" + request.action() + "': " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** The oldest request still waited for, or null. */
    Pending head() {
        Pending p;
        while ((p = queue.peek()) != null && p.reply.isDone()) {
            queue.poll();
        }
        return p;
    }

    /** Drops the head once answered. */
    void answered(Pending p) {
        queue.remove(p);
    }

    /** Refuses whatever is still waiting (the run stopped). */
    void refuseAll(String why) {
        Pending p;
        while ((p = queue.poll()) != null) {
            p.refuse(why);
        }
    }
}
