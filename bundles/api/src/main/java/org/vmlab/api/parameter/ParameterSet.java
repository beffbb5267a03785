package org.vmlab.api.parameter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The settings one provider takes, and the validator every family shares: unknown names,
 * missing required values and bad values are refused with one sentence naming the setting, its
 * owner and what it accepts, e.g. {@code option 'stages' of engine 'precopy': 'x' is not a whole
 * number; allowed: a whole number from 1 to 1024}.
 *
 * @param noun       what the settings are called to the user: {@code parameter}, {@code option}
 * @param owner      whose they are: {@code workload 'memory'}, {@code engine 'precopy'}
 * @param parameters the settings, in the order help shows them; names unique
 */
public record ParameterSet(String noun, String owner, List<Parameter> parameters) {

    public ParameterSet {
        Objects.requireNonNull(noun, "noun");
        Objects.requireNonNull(owner, "owner");
        parameters = List.copyOf(parameters);
        Map<String, Parameter> seen = new LinkedHashMap<>();
        for (Parameter p : parameters) {
            if (seen.put(p.name(), p) != null) {
                throw new IllegalArgumentException(owner + " declares " + noun + " '" + p.name() + "' twice");
            }
        }
    }

    /** The options of a provider, e.g. {@code ParameterSet.options("engine 'precopy'", list)}. */
    public static ParameterSet options(String owner, List<Parameter> parameters) {
        return new ParameterSet("option", owner, parameters);
    }

    /** The parameters of a workload. */
    public static ParameterSet parameters(String owner, List<Parameter> parameters) {
        return new ParameterSet("parameter", owner, parameters);
    }

    public Optional<Parameter> find(String name) {
        return parameters.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** These settings followed by {@code more} (e.g. an engine's and its ordering's options). */
    public ParameterSet plus(List<Parameter> more) {
        List<Parameter> all = new ArrayList<>(parameters);
        for (Parameter p : more) {
            if (find(p.name()).isEmpty()) {
                all.add(p);
            }
        }
        return new ParameterSet(noun, owner, all);
    }

    /**
     * Checks what a user gave against these settings.
     *
     * @param given values by name ({@code null} for none); every name must be known
     * @return the effective values: those given, trimmed, and the defaults of the others
     * @throws IllegalArgumentException naming the first unknown, missing or bad setting
     */
    public ParameterValues validate(Map<String, String> given) {
        Map<String, String> g = given == null ? Map.of() : given;
        for (String k : g.keySet()) {
            if (find(k).isEmpty()) {
                throw new IllegalArgumentException("unknown " + noun + " '" + k + "' of " + owner + "; allowed: "
                        + (parameters.isEmpty() ? "none" : String.join(", ", names())));
            }
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Parameter p : parameters) {
            String v = g.get(p.name());
            if (v == null) {
                if (p.required()) {
                    throw bad(p, "missing; it has no default");
                }
                v = p.defaultValue();
                if (v == null) {
                    continue;
                }
            }
            try {
                p.canonical(v);
            } catch (IllegalArgumentException e) {
                throw bad(p, e.getMessage());
            }
            out.put(p.name(), v.trim());
        }
        return new ParameterValues(this, out);
    }

    /** The names, in order. */
    public List<String> names() {
        return parameters.stream().map(Parameter::name).toList();
    }

    /** A refusal of {@code p}'s value, saying why and what it accepts. */
    public IllegalArgumentException bad(Parameter p, String why) {
        return new IllegalArgumentException(noun + " '" + p.name() + "' of " + owner + ": " + why + "; allowed: "
                + p.allowed());
    }
}
