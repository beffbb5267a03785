package org.vmlab.api.hotplug;

import java.util.Map;
import java.util.Objects;

/**
 * A request to a guest agent.
 *
 * @param action    what to do, e.g. {@code prepare-detach}, {@code resumed}
 * @param arguments action-specific arguments (e.g. the device id), copied
 */
public record AgentRequest(String action, Map<String, String> arguments) {
    public AgentRequest {
        Objects.requireNonNull(action, "action");
        if (action.isBlank()) {
            throw new IllegalArgumentException("agent action is blank");
        }
        arguments = arguments == null ? Map.of() : Map.copyOf(arguments);
    }

    public static AgentRequest of(String action) {
        return new AgentRequest(action, Map.of());
    }
}
