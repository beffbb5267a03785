package org.vmlab.api.experiment;

import java.util.Objects;

/**
 * What a paper reports beside what this run measured.
 *
 * @param metric   the metric compared
 * @param config   the configuration the claim is about
 * @param paper    the paper's figure or statement, as the spec quotes it
 * @param ours     what we measured, as text (e.g. {@code -38.2% vs sequential})
 * @param verdict  {@code holds}, {@code does not hold} or {@code no data}
 */
public record ClaimCheck(String metric, String config, String paper, String ours, String verdict) {
    public ClaimCheck {
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(paper, "paper");
        Objects.requireNonNull(ours, "ours");
        Objects.requireNonNull(verdict, "verdict");
    }
}
