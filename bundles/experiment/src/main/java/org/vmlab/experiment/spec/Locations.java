package org.vmlab.experiment.spec;

import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonToken;

/**
 * The line of every field and value of a spec, by JSON pointer, read from the parser's own token
 * locations, so a problem found after binding still names the line it came from.
 */
public final class Locations {
    private final Map<String, Integer> lines = new HashMap<>();

    /** Reads {@code parser} to its end, recording where each token starts. */
    static Locations read(JsonParser parser) throws java.io.IOException {
        Locations l = new Locations();
        for (JsonToken t = parser.nextToken(); t != null; t = parser.nextToken()) {
            // A field name and its value share a pointer; the name's line comes first and wins.
            JsonPointer at = parser.getParsingContext().pathAsPointer();
            l.lines.putIfAbsent(at.toString(), parser.currentTokenLocation().getLineNr());
        }
        return l;
    }

    /** The line of {@code pointer}, or of its nearest enclosing element; 0 if unknown. */
    public int line(String pointer) {
        String p = pointer;
        while (true) {
            Integer n = lines.get(p);
            if (n != null) {
                return n;
            }
            int slash = p.lastIndexOf('/');
            if (slash < 0) {
                return 0;
            }
            p = p.substring(0, slash);
        }
    }

    /** The dotted field name of {@code pointer} for people: {@code /steps/0/migrate} → {@code steps[0].migrate}. */
    public static String field(String pointer) {
        StringBuilder out = new StringBuilder();
        for (String part : pointer.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            String name = part.replace("~1", "/").replace("~0", "~");
            if (name.chars().allMatch(Character::isDigit)) {
                out.append('[').append(name).append(']');
            } else {
                out.append(out.length() == 0 ? "" : ".").append(name);
            }
        }
        return out.toString();
    }
}
