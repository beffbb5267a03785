package org.vmlab.api.experiment;

import java.util.Map;
import java.util.Objects;

/**
 * One run of an experiment: a configuration of the sweep and a repetition of it.
 *
 * @param index      0-based position in the plan; also names the run's folder
 * @param config     the configuration's label, e.g. {@code ordering=update-history}
 * @param values     the sweep variables of this configuration, in spec order, copied
 * @param repetition 1-based
 * @param baseline   whether this configuration is the spec's baseline
 */
public record PlannedRun(int index, String config, Map<String, String> values, int repetition, boolean baseline) {
    public PlannedRun {
        if (index < 0) {
            throw new IllegalArgumentException("index must be >= 0: " + index);
        }
        Objects.requireNonNull(config, "config");
        values = values == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
        if (repetition < 1) {
            throw new IllegalArgumentException("repetition must be >= 1: " + repetition);
        }
    }

    /** The run's folder name: index, configuration and repetition, file-name safe. */
    public String folderName() {
        String safe = config.replaceAll("[^A-Za-z0-9_.=-]+", "_");
        return String.format(java.util.Locale.ROOT, "%03d-%s-r%d", index, safe.isEmpty() ? "default" : safe, repetition);
    }
}
