package org.vmlab.api.experiment;

import java.util.Objects;

/**
 * One metric of one configuration over its repetitions. Values are {@code NaN} where they do not
 * exist: no confidence interval under 3 repetitions, no ratio for the baseline or without one.
 *
 * @param config     the configuration's label
 * @param baseline   the label of the configuration it is compared with (the spec's baseline values
 *                   with this configuration's other values); empty for a baseline itself or none
 * @param metric     the metric's name
 * @param n          repetitions that measured it
 * @param median     median
 * @param min        smallest
 * @param max        largest
 * @param mean       mean
 * @param ciLow      lower end of the 95% confidence interval of the mean (Student's t)
 * @param ciHigh     upper end of it
 * @param vsBaseline this median divided by the baseline configuration's median
 */
public record AggregateRow(String config, String baseline, String metric, int n, double median, double min, double max,
                           double mean, double ciLow, double ciHigh, double vsBaseline) {
    public AggregateRow {
        Objects.requireNonNull(config, "config");
        baseline = baseline == null ? "" : baseline;
        Objects.requireNonNull(metric, "metric");
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0: " + n);
        }
    }
}
