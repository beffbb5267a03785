package org.vmlab.api.hotplug;

import java.util.Map;
import java.util.Objects;

/**
 * A guest agent's answer.
 *
 * @param ok      whether the agent did what was asked
 * @param message one line from the agent, e.g. why it could not; may be empty
 * @param values  action-specific results, copied
 */
public record AgentReply(boolean ok, String message, Map<String, String> values) {
    public AgentReply {
        message = Objects.requireNonNullElse(message, "");
        values = values == null ? Map.of() : Map.copyOf(values);
    }
}
