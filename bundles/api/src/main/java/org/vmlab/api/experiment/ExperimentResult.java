package org.vmlab.api.experiment;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What one run id produced.
 *
 * @param summary  the folder and how far it got
 * @param baseline the spec's baseline values, e.g. {@code fault-mode=blocking}; empty before anything was
 *                 aggregated
 * @param table    the aggregate table: every configuration × metric
 * @param claims   the paper's figures beside ours (empty if the spec quotes none)
 * @param failures one line per failed run ({@code folder: reason})
 * @param files    the figures and tables written, relative to the folder
 */
public record ExperimentResult(ExperimentSummary summary, String baseline, List<AggregateRow> table, List<ClaimCheck> claims,
                               List<String> failures, List<Path> files) {
    public ExperimentResult {
        Objects.requireNonNull(summary, "summary");
        baseline = baseline == null ? "" : baseline;
        table = List.copyOf(table);
        claims = List.copyOf(claims);
        failures = List.copyOf(failures);
        files = List.copyOf(files);
    }
}
