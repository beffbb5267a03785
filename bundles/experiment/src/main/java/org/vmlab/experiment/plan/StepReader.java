package org.vmlab.experiment.plan;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import org.vmlab.api.parameter.Parameter;
import org.vmlab.experiment.spec.Spec;

/**
 * Reads one filled-in step: a mapping with exactly one of {@code wait: 2s}, {@code await: id} or
 * {@code <action>: {settings}}, and optionally {@code id}, {@code at}, {@code when} and
 * {@code async}.
 */
final class StepReader {
    private static final Set<String> COMMON = Set.of("id", "at", "when", "async", Conditions.KEY);

    private StepReader() {
    }

    static Step read(Spec spec, String pointer, JsonNode node, Set<String> actions, Map<String, Integer> idCount) {
        if (node == null || !node.isObject()) {
            throw spec.error(pointer, "a step is a mapping such as '- migrate: {vm: web}' or '- wait: 2s'");
        }
        String kind = null;
        for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
            String key = it.next();
            if (COMMON.contains(key)) {
                continue;
            }
            if (!Step.WAIT.equals(key) && !Step.AWAIT.equals(key) && !actions.contains(key)) {
                throw spec.error(pointer + "/" + key, "unknown action '" + key + "'; actions: "
                        + String.join(", ", new java.util.TreeSet<>(actions)) + " (and wait, await)");
            }
            if (kind != null) {
                throw spec.error(pointer + "/" + key, "a step does one thing; this one has '" + kind + "' and '" + key + "'");
            }
            kind = key;
        }
        if (kind == null) {
            throw spec.error(pointer, "the step does nothing: give an action, 'wait' or 'await'");
        }
        String id = text(spec, pointer + "/id", node.get("id"));
        if (id == null) {
            int n = idCount.merge(kind, 1, Integer::sum);
            id = n == 1 ? kind : kind + "-" + n;
        } else if (!id.matches("[A-Za-z][A-Za-z0-9_-]{0,39}")) {
            throw spec.error(pointer + "/id", "bad step id '" + id + "': a letter, then letters, digits, '_' or '-'");
        }
        Duration at = duration(spec, pointer + "/at", text(spec, pointer + "/at", node.get("at")));
        boolean async = bool(spec, pointer + "/async", node.get("async"));
        Step.Condition when = condition(spec, pointer + "/when", node.get("when"));
        JsonNode body = node.get(kind);
        String p = pointer + "/" + kind;
        if (Step.WAIT.equals(kind)) {
            Duration d = duration(spec, p, text(spec, p, body));
            if (d == null) {
                throw spec.error(p, "wait needs a duration such as 2s");
            }
            return new Step(pointer, id, kind, Map.of(), at, when, false, d, null);
        }
        if (Step.AWAIT.equals(kind)) {
            String target = text(spec, p, body);
            if (target == null) {
                throw spec.error(p, "await needs the id of an earlier async step");
            }
            return new Step(pointer, id, kind, Map.of(), at, when, false, null, target);
        }
        Map<String, String> settings = new LinkedHashMap<>();
        if (body != null && body.isObject()) {
            flatten(spec, p, "", body, settings);
        } else if (body != null && body.isValueNode() && !body.isNull()) {
            settings.put("vm", body.asText()); // '- pause: web' is short for '- pause: {vm: web}'
        } else if (body != null && !body.isNull()) {
            throw spec.error(p, "an action's settings are a mapping, or just a VM name");
        }
        return new Step(pointer, id, kind, settings, at, when, async, null, null);
    }

    private static void flatten(Spec spec, String pointer, String prefix, JsonNode node, Map<String, String> out) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = prefix + e.getKey();
            if (e.getValue().isObject()) {
                flatten(spec, pointer + "/" + e.getKey(), key + ".", e.getValue(), out);
            } else if (e.getValue().isArray()) {
                throw spec.error(pointer + "/" + e.getKey(), "a setting takes one value, not a list (sweep it instead)");
            } else if (!e.getValue().isNull()) {
                out.put(key, e.getValue().asText());
            }
        }
    }

    private static Step.Condition condition(Spec spec, String pointer, JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw spec.error(pointer, "a condition is a mapping such as {vm: web, ops-above: 100, timeout: 30s}");
        }
        Set<String> known = Set.of("vm", "ops-above", "ops-below", "timeout");
        for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
            String k = it.next();
            if (!known.contains(k)) {
                throw spec.error(pointer + "/" + k, "unknown field '" + k + "'; known: " + new java.util.TreeSet<>(known));
            }
        }
        String vm = text(spec, pointer + "/vm", node.get("vm"));
        if (vm == null) {
            throw spec.error(pointer, "a condition names the VM whose guest throughput it watches (vm: ...)");
        }
        double above = number(spec, pointer + "/ops-above", node.get("ops-above"));
        double below = number(spec, pointer + "/ops-below", node.get("ops-below"));
        if (Double.isNaN(above) && Double.isNaN(below)) {
            throw spec.error(pointer, "a condition needs ops-above or ops-below");
        }
        Duration timeout = duration(spec, pointer + "/timeout", text(spec, pointer + "/timeout", node.get("timeout")));
        return new Step.Condition(vm, above, below, timeout == null ? Duration.ofMinutes(1) : timeout);
    }

    static String text(Spec spec, String pointer, JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isValueNode()) {
            throw spec.error(pointer, "expected a single value");
        }
        return node.asText().strip();
    }

    private static boolean bool(Spec spec, String pointer, JsonNode node) {
        String t = text(spec, pointer, node);
        if (t == null) {
            return false;
        }
        if (!t.equals("true") && !t.equals("false")) {
            throw spec.error(pointer, "expected true or false, not '" + t + "'");
        }
        return Boolean.parseBoolean(t);
    }

    private static double number(Spec spec, String pointer, JsonNode node) {
        String t = text(spec, pointer, node);
        if (t == null) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw spec.error(pointer, "'" + t + "' is not a number");
        }
    }

    /** A duration such as 500ms, 2s or 1m; {@code null} for none. */
    static Duration duration(Spec spec, String pointer, String text) {
        if (text == null) {
            return null;
        }
        try {
            String ms = DURATION.canonical(text);
            return Duration.ofMillis(Long.parseLong(ms.substring(0, ms.length() - 2)));
        } catch (IllegalArgumentException e) {
            throw spec.error(pointer, e.getMessage() + "; allowed: " + DURATION.allowed());
        }
    }

    private static final Parameter DURATION = Parameter.duration("duration", null, "");

    static List<String> ids(List<Step> steps) {
        List<String> out = new ArrayList<>();
        steps.forEach(s -> out.add(s.id()));
        return out;
    }
}
