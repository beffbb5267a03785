package org.vmlab.api.placement;

import java.util.Objects;

/**
 * One migration a policy asks for.
 *
 * @param vm     the VM id
 * @param from   the node it runs on
 * @param to     the node it should run on
 * @param reason one line, e.g. "consolidate: node-c can be switched off"
 */
public record Move(String vm, String from, String to, String reason) {
    public Move {
        Objects.requireNonNull(vm, "vm");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        if (from.equals(to)) {
            throw new IllegalArgumentException("a move of " + vm + " needs two different nodes, not " + from);
        }
        reason = reason == null ? "" : reason;
    }
}
