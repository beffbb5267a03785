package org.vmlab.shell.support;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.ByteSize;
import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderInfo;

/**
 * How the settings a provider describes (a workload's parameters, an engine's or an ordering's
 * options) read in help tables, in Markdown and in {@code --json}: all from the one description.
 */
public final class SettingViews {
    /** Bounds this far out mean "no bound" (the factories use Long.MIN_VALUE / MAX_VALUE). */
    private static final double UNBOUNDED = 1e15;

    private SettingViews() {
    }

    /** What a user calls the settings of a provider of {@code family}. */
    public static String noun(String family) {
        return Family.WORKLOAD.id().equals(family) ? "parameter" : "option";
    }

    /** {@code engine 'precopy'}. */
    public static String owner(ProviderInfo p) {
        return p.family() + " '" + p.name() + "'";
    }

    /**
     * Prints one provider's settings as a table (name, type, default, help), headed by whose they
     * are and how to give them, e.g. {@code Options of engine 'precopy' (--option name=value):}.
     */
    public static void printTable(ProviderInfo p, String flag, PrintStream out) {
        String noun = noun(p.family());
        if (p.settings().isEmpty()) {
            out.println(capitalized(owner(p)) + " takes no " + noun + "s.");
            return;
        }
        out.println(capitalized(noun) + "s of " + owner(p) + " (" + flag + " name=value):");
        ShellTable table = new ShellTable();
        table.column("Name");
        table.column("Type");
        table.column("Default");
        table.column("Help");
        for (Parameter s : p.settings()) {
            table.addRow().addContent(s.name(), type(s), defaultText(s), s.description());
        }
        table.print(out);
    }

    /**
     * A Markdown table of the settings of {@code providers} (one family), one row per setting and
     * one for a provider without settings. The README's tables are this text.
     */
    public static String markdown(String family, List<ProviderInfo> providers) {
        StringBuilder md = new StringBuilder();
        md.append("| ").append(capitalized(family)).append(" | ").append(capitalized(noun(family)))
                .append(" | Type | Default | Description |\n");
        md.append("|---|---|---|---|---|\n");
        for (ProviderInfo p : providers) {
            if (p.settings().isEmpty()) {
                md.append("| `").append(p.name()).append("` | none | | | |\n");
            }
            for (Parameter s : p.settings()) {
                md.append("| `").append(p.name()).append("` | `").append(s.name()).append("` | ")
                        .append(cell(type(s))).append(" | ").append(cell(defaultText(s))).append(" | ")
                        .append(cell(s.description())).append(" |\n");
            }
        }
        return md.toString();
    }

    /** The machine-readable view of one setting. */
    public static Map<String, Object> json(Parameter s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.name());
        m.put("type", s.type().label());
        m.put("default", s.defaultValue());
        m.put("required", s.required());
        m.put("allowed", s.allowed());
        if (!s.choices().isEmpty()) {
            m.put("choices", s.choices());
        }
        if (numeric(s)) {
            m.put("min", bounded(s.min()) ? s.min() : null);
            m.put("max", bounded(s.max()) ? s.max() : null);
        }
        m.put("description", s.description());
        return m;
    }

    /**
     * The type, short, with what it accepts where that fits in a column: {@code converge|threshold},
     * {@code integer 1..1024}, {@code size 4 KiB..1 GiB}, {@code boolean}, {@code bytes/s}.
     */
    public static String type(Parameter s) {
        return switch (s.type()) {
            case CHOICE -> String.join("|", s.choices());
            case INTEGER, DECIMAL -> s.type().label() + range(s, SettingViews::number);
            case SIZE -> s.type().label() + range(s, b -> new ByteSize((long) b).toString());
            default -> s.type().label();
        };
    }

    /** The default, {@code required} for a setting that must be given, {@code -} for none. */
    public static String defaultText(Parameter s) {
        return s.defaultValue() != null ? s.defaultValue() : s.required() ? "required" : "-";
    }

    private static boolean numeric(Parameter s) {
        return switch (s.type()) {
            case INTEGER, DECIMAL, SIZE -> true;
            default -> false;
        };
    }

    private static String range(Parameter s, java.util.function.DoubleFunction<String> format) {
        boolean low = bounded(s.min());
        boolean high = bounded(s.max());
        if (low && high) {
            return " " + format.apply(s.min()) + ".." + format.apply(s.max());
        }
        if (low) {
            return " >= " + format.apply(s.min());
        }
        return high ? " <= " + format.apply(s.max()) : "";
    }

    private static boolean bounded(double bound) {
        return Math.abs(bound) < UNBOUNDED;
    }

    private static String number(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    /** A Markdown table cell: pipes escaped, one line. */
    private static String cell(String text) {
        return text.replace("|", "\\|").replace('\n', ' ');
    }

    private static String capitalized(String s) {
        return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1);
    }
}
