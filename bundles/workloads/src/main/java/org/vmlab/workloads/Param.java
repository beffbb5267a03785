package org.vmlab.workloads;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.vmlab.api.parameter.Parameter;
import org.vmlab.api.parameter.ParameterSet;
import org.vmlab.api.parameter.ParameterValues;

/**
 * One workload parameter: the api's {@link Parameter} (name, type, default, help; validated by
 * the shared {@link ParameterSet}) plus whether it fixes the layout of the workload's state in
 * guest memory, which a resumed run must keep.
 */
public record Param(Parameter parameter, boolean isLayout) {

    public static Param size(String name, String def, long min, long max, String description) {
        return new Param(Parameter.size(name, def, min, max, description), false);
    }

    public static Param byteRate(String name, String def, String description) {
        return new Param(Parameter.byteRate(name, def, description), false);
    }

    public static Param decimal(String name, String def, double min, double max, String description) {
        return new Param(Parameter.decimal(name, def, min, max, description), false);
    }

    public static Param integer(String name, String def, long min, long max, String description) {
        return new Param(Parameter.integer(name, def, min, max, description), false);
    }

    public static Param choice(String name, String def, String description, String... choices) {
        return new Param(Parameter.choice(name, def, description, choices), false);
    }

    public static Param bool(String name, String def, String description) {
        return new Param(Parameter.bool(name, def, description), false);
    }

    public static Param duration(String name, String def, String description) {
        return new Param(Parameter.duration(name, def, description), false);
    }

    public static Param text(String name, String def, String description) {
        return new Param(Parameter.text(name, def, description), false);
    }

    /** The same parameter, marked as fixing the layout of the workload's state in guest memory. */
    public Param layout() {
        return new Param(parameter, true);
    }

    public String name() {
        return parameter.name();
    }

    /** The api description of a workload's parameters. */
    static ParameterSet set(String workload, List<Param> defs) {
        return ParameterSet.parameters("workload '" + workload + "'",
                defs.stream().map(Param::parameter).toList());
    }

    /** A validated parameter set: given values checked, defaults added. */
    static ParameterValues validate(String workload, List<Param> defs, Map<String, String> given) {
        return set(workload, defs).validate(given);
    }

    /**
     * The parameters of a resumed run: the stored ones, overridden by {@code given}; a layout
     * parameter given must equal the stored value.
     */
    static ParameterValues merge(String workload, List<Param> defs, Map<String, String> stored,
                                 Map<String, String> given) {
        ParameterSet set = set(workload, defs);
        Map<String, String> g = given == null ? Map.of() : given;
        set.validate(g); // unknown names and bad values
        Map<String, String> out = new LinkedHashMap<>(set.validate(stored).asMap());
        for (Param p : defs) {
            String v = g.get(p.name());
            if (v == null) {
                continue;
            }
            Parameter def = p.parameter();
            if (p.isLayout() && !def.canonical(v).equals(def.canonical(out.get(p.name())))) {
                throw new IllegalArgumentException("parameter '" + p.name() + "' of workload '"
                        + workload + "' cannot change on resume: the guest's state was laid out with "
                        + p.name() + "=" + out.get(p.name()) + ", not " + v.trim()
                        + "; allowed: " + out.get(p.name()) + " or leave it out");
            }
            out.put(p.name(), v.trim());
        }
        return set.validate(out);
    }
}
