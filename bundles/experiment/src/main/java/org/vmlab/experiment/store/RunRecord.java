package org.vmlab.experiment.store;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one finished run left in {@code runs/<folder>/run.json}; written last, so a run folder
 * without it is a run that did not finish.
 *
 * @param index      the run's place in the plan
 * @param folder     its folder's name
 * @param config     its configuration's label
 * @param values     its sweep variables
 * @param repetition 1-based
 * @param baseline   whether its configuration is the baseline
 * @param status     {@code completed} or {@code failed}
 * @param failure    why it failed, or {@code null}
 * @param started    ISO-8601 instant
 * @param ended      ISO-8601 instant
 * @param metrics    every metric the run recorded
 */
public record RunRecord(int index, String folder, String config, Map<String, String> values, int repetition,
                        boolean baseline, String status, String failure, String started, String ended,
                        Map<String, Double> metrics) {
    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";

    public RunRecord {
        values = values == null ? Map.of() : new LinkedHashMap<>(values);
        metrics = metrics == null ? Map.of() : new LinkedHashMap<>(metrics);
    }

    public boolean completed() {
        return COMPLETED.equals(status);
    }
}
