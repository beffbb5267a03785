package org.vmlab.api.experiment;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What one run id produced.
 *
 * @param summary  the folder and how far it got
 * @param table    the aggregate table: every configuration × metric
 * @param claims   the paper's figures beside ours (empty if the spec quotes none)
 * @param failures one line per failed run ({@code folder: reason})
 * @param files    the figures and tables written, relative to the folder
 */
public record ExperimentResult(ExperimentSummary summary, List<AggregateRow> table, List<ClaimCheck> claims,
                               List<String> failures, List<Path> files) {
    public ExperimentResult {
        Objects.requireNonNull(summary, "summary");
        table = List.copyOf(table);
        claims = List.copyOf(claims);
        failures = List.copyOf(failures);
        files = List.copyOf(files);
    }
}
