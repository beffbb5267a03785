package org.vmlab.api.parameter;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.vmlab.api.ByteSize;

/**
 * One setting a provider takes: its name, type, default, range and a one-line help text. Help,
 * completion and validation come from this one description.
 *
 * @param name         e.g. {@code rate}; letters, digits and {@code -}
 * @param type         how the text is read
 * @param defaultValue the value used when none is given, or {@code null} if there is none
 * @param required     whether the value must be given (only without a default)
 * @param description  one line saying what it does and in which unit
 * @param min          the smallest value of a {@link Type#SIZE}, {@link Type#INTEGER} or
 *                     {@link Type#DECIMAL} parameter (the longest for a {@link Type#DURATION},
 *                     in ms, is {@code max})
 * @param max          the largest value
 * @param choices      the values of a {@link Type#CHOICE} parameter, in lower case
 */
public record Parameter(String name, Type type, String defaultValue, boolean required, String description,
                        double min, double max, List<String> choices) {

    /** How a parameter's text is read. */
    public enum Type {
        /** Bytes with binary prefixes: {@code 4096}, {@code 64k}, {@code 2G}. */
        SIZE("size"),
        /** Bytes per second with binary prefixes ({@code 50M} = 50 MiB/s); 0 = no limit. */
        BYTE_RATE("bytes/s"),
        /** A number with a fraction. */
        DECIMAL("number"),
        /** A whole number. */
        INTEGER("integer"),
        /** One of a fixed list of words. */
        CHOICE("choice"),
        /** {@code true} or {@code false}. */
        BOOLEAN("boolean"),
        /** {@code 500ms}, {@code 2.5s}, {@code 1m}; a bare number is seconds. */
        DURATION("duration"),
        /** Any text. */
        TEXT("text");

        private final String label;

        Type(String label) {
            this.label = label;
        }

        /** A short word for help tables. */
        public String label() {
            return label;
        }
    }

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]*");
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|min)?");
    private static final long MAX_DURATION_MS = 86_400_000L;

    public Parameter {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad parameter name '" + name + "': lower-case letters, digits and '-'");
        }
        Objects.requireNonNull(type, "type");
        description = description == null ? "" : description;
        choices = choices == null ? List.of() : List.copyOf(choices);
        if (type == Type.CHOICE && choices.isEmpty()) {
            throw new IllegalArgumentException("choice parameter '" + name + "' has no choices");
        }
        if (required && defaultValue != null) {
            throw new IllegalArgumentException("parameter '" + name + "' is required and has a default");
        }
        if (!(min <= max)) {
            throw new IllegalArgumentException("parameter '" + name + "': min " + min + " > max " + max);
        }
        if (defaultValue != null) {
            new Parameter(name, type, null, false, description, min, max, choices).canonical(defaultValue);
        }
    }

    /** A size in bytes, from {@code min} to {@code max} bytes. */
    public static Parameter size(String name, String def, long min, long max, String description) {
        return new Parameter(name, Type.SIZE, def, false, description, min, max, List.of());
    }

    /** A rate in bytes per second with binary prefixes; 0 = no limit. */
    public static Parameter byteRate(String name, String def, String description) {
        return new Parameter(name, Type.BYTE_RATE, def, false, description, 0, Long.MAX_VALUE, List.of());
    }

    public static Parameter decimal(String name, String def, double min, double max, String description) {
        return new Parameter(name, Type.DECIMAL, def, false, description, min, max, List.of());
    }

    public static Parameter integer(String name, String def, long min, long max, String description) {
        return new Parameter(name, Type.INTEGER, def, false, description, min, max, List.of());
    }

    public static Parameter choice(String name, String def, String description, String... choices) {
        return new Parameter(name, Type.CHOICE, def, false, description, 0, 0, List.of(choices));
    }

    public static Parameter bool(String name, String def, String description) {
        return new Parameter(name, Type.BOOLEAN, def, false, description, 0, 0, List.of("true", "false"));
    }

    /** A duration of at most a day. */
    public static Parameter duration(String name, String def, String description) {
        return new Parameter(name, Type.DURATION, def, false, description, 0, MAX_DURATION_MS, List.of());
    }

    public static Parameter text(String name, String def, String description) {
        return new Parameter(name, Type.TEXT, def, false, description, 0, 0, List.of());
    }

    /** The same parameter, which must be given (it has no default). */
    public Parameter asRequired() {
        return new Parameter(name, type, null, true, description, min, max, choices);
    }

    /** What the parameter accepts, for help and error messages. */
    public String allowed() {
        return switch (type) {
            case SIZE -> "a size from " + new ByteSize((long) min) + " to " + new ByteSize((long) max)
                    + " (examples: 4096, 64k, 64M, 2G)";
            case BYTE_RATE -> "bytes per second with binary prefixes, 0 for no limit (examples: 0, 50M = 50 MiB/s, 1G)";
            case DECIMAL -> "a number from " + number(min) + " to " + number(max);
            case INTEGER -> "a whole number from " + (long) min + " to " + (long) max;
            case CHOICE, BOOLEAN -> "one of " + String.join(", ", choices);
            case DURATION -> "a duration such as 500ms, 1s, 2.5s or 1m (a bare number is seconds; 0 = off)";
            case TEXT -> "text";
        };
    }

    /**
     * Checks {@code value} and returns its canonical text: a size or rate in bytes, a duration in
     * ms ({@code 1500ms}), a choice or boolean in lower case, a number as Java prints it.
     *
     * @throws IllegalArgumentException saying why, without the parameter's name (the
     *                                  {@link ParameterSet} adds it)
     */
    public String canonical(String value) {
        if (value == null) {
            throw new IllegalArgumentException("no value given");
        }
        String v = value.trim();
        switch (type) {
            case SIZE -> {
                long b;
                try {
                    b = ByteSize.parse(v).bytes();
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("bad value '" + value + "'");
                }
                inRange(value, b);
                return Long.toString(b);
            }
            case BYTE_RATE -> {
                String r = v.endsWith("/s") ? v.substring(0, v.length() - 2) : v;
                try {
                    return Long.toString(ByteSize.parse(r).bytes());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("bad value '" + value + "'");
                }
            }
            case DECIMAL -> {
                double d;
                try {
                    d = Double.parseDouble(v);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("'" + value + "' is not a number");
                }
                inRange(value, d);
                return Double.toString(d);
            }
            case INTEGER -> {
                long l;
                try {
                    l = Long.parseLong(v);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("'" + value + "' is not a whole number");
                }
                inRange(value, l);
                return Long.toString(l);
            }
            case CHOICE, BOOLEAN -> {
                String c = v.toLowerCase(Locale.ROOT);
                if (!choices.contains(c)) {
                    throw new IllegalArgumentException("unknown value '" + value + "'");
                }
                return c;
            }
            case DURATION -> {
                Matcher m = DURATION.matcher(v.toLowerCase(Locale.ROOT));
                if (!m.matches()) {
                    throw new IllegalArgumentException("bad value '" + value + "'");
                }
                double n = Double.parseDouble(m.group(1));
                String unit = m.group(2) == null ? "s" : m.group(2);
                double ms = n * (unit.equals("ms") ? 1 : unit.equals("s") ? 1000 : 60_000);
                if (ms > max) {
                    throw new IllegalArgumentException("'" + value + "' is out of range");
                }
                return Math.round(ms) + "ms";
            }
            default -> {
                return v;
            }
        }
    }

    private void inRange(String value, double d) {
        if (!(d >= min && d <= max)) {
            throw new IllegalArgumentException("'" + value + "' is out of range");
        }
    }

    private static String number(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
