package org.vmlab.api.parameter;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Values checked by {@link ParameterSet#validate}, read by type. Reading a setting the set does
 * not declare is a programming error ({@link IllegalStateException}).
 */
public final class ParameterValues {
    private final ParameterSet set;
    private final Map<String, String> values;

    ParameterValues(ParameterSet set, Map<String, String> values) {
        this.set = Objects.requireNonNull(set, "set");
        this.values = Map.copyOf(values);
    }

    /** The effective values as text: those given, trimmed, and the defaults of the others. */
    public Map<String, String> asMap() {
        return values;
    }

    public ParameterSet set() {
        return set;
    }

    /** Whether the setting has a value (given, or by default). */
    public boolean has(String name) {
        declared(name);
        return values.containsKey(name);
    }

    /** A size or rate in bytes (bytes per second for a rate). */
    public long bytes(String name) {
        return Long.parseLong(canonical(name));
    }

    public double decimal(String name) {
        return Double.parseDouble(canonical(name));
    }

    public long integer(String name) {
        return Long.parseLong(canonical(name));
    }

    /** An integer setting whose range fits an int. */
    public int intValue(String name) {
        return Math.toIntExact(integer(name));
    }

    /** A choice, in lower case. */
    public String choice(String name) {
        return canonical(name);
    }

    public boolean bool(String name) {
        return Boolean.parseBoolean(canonical(name));
    }

    public Duration duration(String name) {
        String c = canonical(name);
        return Duration.ofMillis(Long.parseLong(c.substring(0, c.length() - 2)));
    }

    public String text(String name) {
        declared(name);
        return values.get(name);
    }

    /** A refusal of the value of {@code name}, for checks the type alone cannot make. */
    public IllegalArgumentException bad(String name, String why) {
        return set.bad(declared(name), why);
    }

    private String canonical(String name) {
        Parameter p = declared(name);
        String v = values.get(name);
        if (v == null) {
            throw new IllegalStateException(set.owner() + " has no value for " + set.noun() + " '" + name + "'");
        }
        return p.canonical(v);
    }

    private Parameter declared(String name) {
        return set.find(name).orElseThrow(() -> new IllegalStateException(
                set.owner() + " declares no " + set.noun() + " '" + name + "'"));
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
