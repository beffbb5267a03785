package org.vmlab.storage.nbd;

import java.util.Map;

/**
 * What a handshake settled: the export, whether replies are structured, and the meta contexts
 * the client selected (id to name).
 */
record Negotiated(NbdExport export, boolean structured, Map<Integer, String> contexts) {
    Negotiated {
        contexts = Map.copyOf(contexts);
    }
}
