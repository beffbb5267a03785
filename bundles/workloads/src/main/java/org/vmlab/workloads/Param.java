package org.vmlab.workloads;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.vmlab.api.ByteSize;
import org.vmlab.api.workload.ParameterInfo;

/**
 * One workload parameter: its name, default, help line and how its text is checked and
 * normalised. {@link #validate} turns what a user gave into the effective parameters or throws an
 * {@link IllegalArgumentException} that names the parameter and what it accepts.
 */
public final class Param {

    private enum Kind { SIZE, RATE, DOUBLE, LONG, CHOICE, BOOL, DURATION, TEXT }

    private static final Pattern DURATION =
            Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|min)?");

    private final String name;
    private final String defaultValue;
    private final String description;
    private final Kind kind;
    private final double min;
    private final double max;
    private final List<String> choices;
    private final boolean layout;

    private Param(String name, String defaultValue, String description, Kind kind, double min,
                  double max, List<String> choices, boolean layout) {
        this.name = name;
        this.defaultValue = defaultValue;
        this.description = description;
        this.kind = kind;
        this.min = min;
        this.max = max;
        this.choices = choices;
        this.layout = layout;
    }

    /** A size in bytes with binary prefixes (64k, 64M, 2G) in {@code [min, max]} bytes. */
    public static Param size(String name, String def, long min, long max, String description) {
        return new Param(name, def, description, Kind.SIZE, min, max, List.of(), false);
    }

    /** A rate in bytes per second with binary prefixes (100M = 100 MiB/s); 0 = no limit. */
    public static Param byteRate(String name, String def, String description) {
        return new Param(name, def, description, Kind.RATE, 0, Long.MAX_VALUE, List.of(), false);
    }

    public static Param decimal(String name, String def, double min, double max, String description) {
        return new Param(name, def, description, Kind.DOUBLE, min, max, List.of(), false);
    }

    public static Param integer(String name, String def, long min, long max, String description) {
        return new Param(name, def, description, Kind.LONG, min, max, List.of(), false);
    }

    public static Param choice(String name, String def, String description, String... choices) {
        return new Param(name, def, description, Kind.CHOICE, 0, 0, List.of(choices), false);
    }

    public static Param bool(String name, String def, String description) {
        return new Param(name, def, description, Kind.BOOL, 0, 0, List.of("true", "false"), false);
    }

    /** A duration: {@code 500ms}, {@code 1s}, {@code 2.5s}, {@code 1m}; a bare number is seconds. */
    public static Param duration(String name, String def, String description) {
        return new Param(name, def, description, Kind.DURATION, 0, 86_400_000, List.of(), false);
    }

    public static Param text(String name, String def, String description) {
        return new Param(name, def, description, Kind.TEXT, 0, 0, List.of(), false);
    }

    /**
     * Marks the parameter as fixing the layout of the workload's state in guest memory: a resumed
     * run must keep it.
     */
    public Param layout() {
        return new Param(name, defaultValue, description, kind, min, max, choices, true);
    }

    public String name() {
        return name;
    }

    public boolean isLayout() {
        return layout;
    }

    public ParameterInfo info() {
        return new ParameterInfo(name, defaultValue, description);
    }

    /** What the parameter accepts, for error messages. */
    private String allowed() {
        switch (kind) {
            case SIZE:
                return "a size from " + new ByteSize((long) min) + " to " + new ByteSize((long) max)
                        + " (examples: 4096, 64k, 64M, 2G)";
            case RATE:
                return "bytes per second with binary prefixes, 0 for no limit (examples: 0, 50M = 50 MiB/s, 1G)";
            case DOUBLE:
                return "a number from " + fmt(min) + " to " + fmt(max);
            case LONG:
                return "a whole number from " + (long) min + " to " + (long) max;
            case CHOICE:
            case BOOL:
                return "one of " + String.join(", ", choices);
            case DURATION:
                return "a duration such as 500ms, 1s, 2.5s or 1m (a bare number is seconds; 0 = off)";
            default:
                return "text";
        }
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    private IllegalArgumentException bad(String workload, String value, String why) {
        return new IllegalArgumentException("parameter '" + name + "' of workload '" + workload
                + "': " + (why == null ? "bad value '" + value + "'" : why) + "; allowed: " + allowed());
    }

    /** Checks {@code value} and returns its canonical text. */
    String normalize(String workload, String value) {
        if (value == null) {
            throw bad(workload, null, "no value given");
        }
        String v = value.trim();
        switch (kind) {
            case SIZE: {
                long b;
                try {
                    b = ByteSize.parse(v).bytes();
                } catch (IllegalArgumentException e) {
                    throw bad(workload, value, null);
                }
                if (b < min || b > max) {
                    throw bad(workload, value, "'" + value + "' is out of range");
                }
                return Long.toString(b);
            }
            case RATE: {
                try {
                    return Long.toString(ByteSize.parse(v).bytes());
                } catch (IllegalArgumentException e) {
                    throw bad(workload, value, null);
                }
            }
            case DOUBLE: {
                double d;
                try {
                    d = Double.parseDouble(v);
                } catch (NumberFormatException e) {
                    throw bad(workload, value, "'" + value + "' is not a number");
                }
                if (!(d >= min && d <= max)) {
                    throw bad(workload, value, "'" + value + "' is out of range");
                }
                return Double.toString(d);
            }
            case LONG: {
                long l;
                try {
                    l = Long.parseLong(v);
                } catch (NumberFormatException e) {
                    throw bad(workload, value, "'" + value + "' is not a whole number");
                }
                if (l < min || l > max) {
                    throw bad(workload, value, "'" + value + "' is out of range");
                }
                return Long.toString(l);
            }
            case CHOICE:
            case BOOL: {
                String c = v.toLowerCase(Locale.ROOT);
                if (!choices.contains(c)) {
                    throw bad(workload, value, "unknown value '" + value + "'");
                }
                return c;
            }
            case DURATION: {
                Matcher m = DURATION.matcher(v.toLowerCase(Locale.ROOT));
                if (!m.matches()) {
                    throw bad(workload, value, null);
                }
                double n = Double.parseDouble(m.group(1));
                String unit = m.group(2) == null ? "s" : m.group(2);
                double ms = n * (unit.equals("ms") ? 1 : unit.equals("s") ? 1000 : 60_000);
                if (ms > max) {
                    throw bad(workload, value, "'" + value + "' is out of range");
                }
                return Long.toString(Math.round(ms)) + "ms";
            }
            default:
                return v;
        }
    }

    /** A validated parameter set: given values checked, defaults added. */
    static Map<String, String> validate(String workload, List<Param> defs, Map<String, String> given) {
        Map<String, String> g = given == null ? Map.of() : given;
        Map<String, Param> byName = new LinkedHashMap<>();
        for (Param p : defs) {
            byName.put(p.name, p);
        }
        for (String k : g.keySet()) {
            if (!byName.containsKey(k)) {
                throw new IllegalArgumentException("unknown parameter '" + k + "' of workload '"
                        + workload + "'; allowed: " + (byName.isEmpty() ? "none"
                        : String.join(", ", byName.keySet())));
            }
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Param p : defs) {
            String v = g.get(p.name);
            if (v == null) {
                if (p.defaultValue == null) {
                    throw p.bad(workload, null, "missing; it has no default");
                }
                v = p.defaultValue;
            }
            p.normalize(workload, v); // throws if bad
            out.put(p.name, v.trim());
        }
        return out;
    }

    static List<ParameterInfo> infos(List<Param> defs) {
        List<ParameterInfo> out = new ArrayList<>();
        for (Param p : defs) {
            out.add(p.info());
        }
        return List.copyOf(out);
    }

    /** Typed access to a validated parameter set. */
    static final class Values {
        private final String workload;
        private final Map<String, Param> defs = new LinkedHashMap<>();
        private final Map<String, String> values;

        Values(String workload, List<Param> defs, Map<String, String> values) {
            this.workload = workload;
            for (Param p : defs) {
                this.defs.put(p.name, p);
            }
            this.values = Map.copyOf(values);
        }

        private String canon(String name) {
            Param p = Objects.requireNonNull(defs.get(name), name);
            return p.normalize(workload, values.get(name));
        }

        long bytes(String name) {
            return Long.parseLong(canon(name));
        }

        double decimal(String name) {
            return Double.parseDouble(canon(name));
        }

        long integer(String name) {
            return Long.parseLong(canon(name));
        }

        String choice(String name) {
            return canon(name);
        }

        boolean bool(String name) {
            return Boolean.parseBoolean(canon(name));
        }

        long millis(String name) {
            String c = canon(name);
            return Long.parseLong(c.substring(0, c.length() - 2));
        }

        String text(String name) {
            return values.get(name);
        }

        IllegalArgumentException bad(String name, String why) {
            return defs.get(name).bad(workload, values.get(name), why);
        }
    }

    /**
     * The parameters of a resumed run: the stored ones, overridden by {@code given}; a layout
     * parameter given must equal the stored value.
     */
    static Map<String, String> merge(String workload, List<Param> defs, Map<String, String> stored,
                                     Map<String, String> given) {
        Map<String, String> g = given == null ? Map.of() : given;
        validate(workload, defs, g); // unknown names and bad values
        Map<String, String> out = new LinkedHashMap<>(validate(workload, defs, stored));
        for (Param p : defs) {
            String v = g.get(p.name);
            if (v == null) {
                continue;
            }
            if (p.layout && !p.normalize(workload, v).equals(p.normalize(workload, out.get(p.name)))) {
                throw new IllegalArgumentException("parameter '" + p.name + "' of workload '"
                        + workload + "' cannot change on resume: the guest's state was laid out with "
                        + p.name + "=" + out.get(p.name) + ", not " + v.trim()
                        + "; allowed: " + out.get(p.name) + " or leave it out");
            }
            out.put(p.name, v.trim());
        }
        return out;
    }

    @Override
    public String toString() {
        return name + "=" + defaultValue + " (" + Arrays.asList(kind, description) + ")";
    }
}
