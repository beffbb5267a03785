package org.vmlab.experiment.plan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

import org.vmlab.experiment.spec.Spec;
import org.vmlab.experiment.spec.SpecFile;

/**
 * The configurations of a spec: every combination of the {@code sweep} variables (the first
 * variable changing slowest), then the {@code configs} listed one by one; one empty
 * configuration when there are neither.
 */
final class Sweep {
    /** More than this many runs is almost certainly a typo in a sweep. */
    static final int MAX_RUNS = 10_000;

    private Sweep() {
    }

    static List<Map<String, String>> configurations(Spec spec) {
        SpecFile top = spec.top();
        List<Map<String, String>> out = new ArrayList<>();
        Map<String, List<String>> sweep = top.sweep() == null ? Map.of() : top.sweep();
        for (Map.Entry<String, List<String>> e : sweep.entrySet()) {
            checkName(spec, "/sweep/" + e.getKey(), e.getKey());
            if (e.getValue() == null || e.getValue().isEmpty()) {
                throw spec.error("/sweep/" + e.getKey(), "a swept variable needs at least one value");
            }
        }
        if (!sweep.isEmpty()) {
            out.add(new LinkedHashMap<>());
            for (Map.Entry<String, List<String>> e : sweep.entrySet()) {
                List<Map<String, String>> next = new ArrayList<>();
                for (Map<String, String> partial : out) {
                    for (String v : e.getValue()) {
                        Map<String, String> c = new LinkedHashMap<>(partial);
                        c.put(e.getKey(), v);
                        next.add(c);
                    }
                }
                out = next;
                if (out.size() > MAX_RUNS) {
                    throw spec.error("/sweep", "more than " + MAX_RUNS + " configurations");
                }
            }
        }
        if (top.configs() != null) {
            for (int i = 0; i < top.configs().size(); i++) {
                Map<String, String> c = top.configs().get(i);
                if (c == null || c.isEmpty()) {
                    throw spec.error("/configs/" + i, "a listed configuration sets at least one variable");
                }
                for (String k : c.keySet()) {
                    checkName(spec, "/configs/" + i + "/" + k, k);
                }
                out.add(new LinkedHashMap<>(c));
            }
        }
        if (out.isEmpty()) {
            out.add(Map.of());
        }
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            String label = label(out.get(i));
            if (seen.contains(label)) {
                throw spec.error(top.configs() == null ? "/sweep" : "/configs", "configuration '" + label + "' appears twice");
            }
            seen.add(label);
        }
        return out;
    }

    /** {@code a=1,b=x}, or {@code default} for the empty configuration. */
    static String label(Map<String, String> values) {
        if (values.isEmpty()) {
            return "default";
        }
        StringJoiner j = new StringJoiner(",");
        values.forEach((k, v) -> j.add(k + "=" + v));
        return j.toString();
    }

    private static void checkName(Spec spec, String pointer, String name) {
        if (!name.matches("[A-Za-z][A-Za-z0-9_-]{0,39}")) {
            throw spec.error(pointer, "bad variable name '" + name + "': a letter, then letters, digits, '_' or '-'");
        }
    }
}
