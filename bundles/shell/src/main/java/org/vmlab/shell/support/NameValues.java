package org.vmlab.shell.support;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Repeated {@code --flag name=value} arguments as a map, in the order given. */
public final class NameValues {
    private NameValues() {
    }

    /** @throws IllegalArgumentException naming {@code flag} for an item without {@code =} */
    public static Map<String, String> parse(String flag, List<String> items) {
        Map<String, String> out = new LinkedHashMap<>();
        if (items != null) {
            for (String kv : items) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException(flag + " takes name=value, not '" + kv + "'");
                }
                out.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return out;
    }
}
