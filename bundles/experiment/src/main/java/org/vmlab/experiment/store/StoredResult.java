package org.vmlab.experiment.store;

import java.util.List;

import org.vmlab.api.experiment.AggregateRow;
import org.vmlab.api.experiment.ClaimCheck;

/**
 * {@code result.json}: the aggregate of a run id as last computed, so showing and comparing need
 * neither the runs nor the providers again.
 *
 * @param runId     the folder's name
 * @param title     the spec's title
 * @param figure    the figure it reproduces
 * @param baseline  the spec's baseline values, as a label
 * @param configs   configuration labels in plan order
 * @param metrics   metric names in spec order
 * @param table     every configuration × metric
 * @param claims    the paper beside us
 * @param failures  one line per failed run
 * @param files     figures and tables, relative to the folder
 */
public record StoredResult(String runId, String title, String figure, String baseline, List<String> configs,
                           List<String> metrics, List<AggregateRow> table, List<ClaimCheck> claims,
                           List<String> failures, List<String> files) {
    public static final String FILE = "result.json";
}
