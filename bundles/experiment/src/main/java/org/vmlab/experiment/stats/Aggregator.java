package org.vmlab.experiment.stats;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.vmlab.api.experiment.AggregateRow;
import org.vmlab.api.experiment.ClaimCheck;
import org.vmlab.experiment.spec.SpecFile.ClaimDecl;

/** The aggregate table of an experiment and the paper's claims checked against it. */
public final class Aggregator {
    private Aggregator() {
    }

    /**
     * @param values   config → metric → the values of its completed runs
     * @param configs  configuration labels in plan order
     * @param metrics  metric names in spec order
     * @param baselines each configuration's label → its baseline's label
     */
    public static List<AggregateRow> table(Map<String, Map<String, List<Double>>> values, List<String> configs,
                                           List<String> metrics, Map<String, String> baselines) {
        List<AggregateRow> rows = new ArrayList<>();
        for (String c : configs) {
            String base = baselines.get(c);
            boolean compared = base != null && !base.equals(c);
            for (String m : metrics) {
                Summary s = Summary.of(values.getOrDefault(c, Map.of()).getOrDefault(m, List.of()));
                Summary b = compared ? Summary.of(values.getOrDefault(base, Map.of()).getOrDefault(m, List.of())) : null;
                double ratio = b == null || b.n() == 0 || b.median() == 0 ? Double.NaN : s.median() / b.median();
                rows.add(new AggregateRow(c, compared ? base : "", m, s.n(), s.median(), s.min(), s.max(), s.mean(),
                        s.ciLow(), s.ciHigh(), ratio));
            }
        }
        return rows;
    }

    /** Each claim beside what we measured: the configuration's median against its baseline's. */
    public static List<ClaimCheck> claims(List<ClaimDecl> claims, List<AggregateRow> table, Map<String, String> baselines) {
        List<ClaimCheck> out = new ArrayList<>();
        for (ClaimDecl c : claims) {
            String baseline = c.against() != null ? c.against() : baselines.getOrDefault(c.config(), "");
            AggregateRow ours = find(table, c.config(), c.metric());
            AggregateRow base = find(table, baseline, c.metric());
            if (ours == null || base == null || ours.n() == 0 || base.n() == 0) {
                out.add(new ClaimCheck(c.metric(), c.config(), c.paper(), "no completed run", "no data"));
                continue;
            }
            double a = ours.median();
            double b = base.median();
            boolean holds = switch (c.expect()) {
                case "lower" -> a < b;
                case "higher" -> a > b;
                case "not-higher" -> a <= b;
                default -> a >= b;
            };
            String change = b == 0 ? "" : String.format(java.util.Locale.ROOT, " (%+.1f%%)", (a - b) / b * 100);
            String text = String.format(java.util.Locale.ROOT, "median %s vs %s %s%s", number(a), number(b), baseline, change);
            out.add(new ClaimCheck(c.metric(), c.config(), c.paper(), text, holds ? "holds" : "does not hold"));
        }
        return out;
    }

    private static AggregateRow find(List<AggregateRow> table, String config, String metric) {
        return table.stream().filter(r -> r.config().equals(config) && r.metric().equals(metric)).findFirst().orElse(null);
    }

    /** A number as people read it in a table: whole numbers without decimals, others with 3 significant digits. */
    public static String number(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Math.abs(v) >= 100 ? String.format(java.util.Locale.ROOT, "%.1f", v)
                : String.format(java.util.Locale.ROOT, "%.3g", v);
    }
}
