package org.vmlab.experiment.stats;

import java.util.Arrays;
import java.util.Collection;

import org.apache.commons.math3.distribution.TDistribution;

/**
 * The spread of one metric over repetitions: median, range, mean, and the 95% confidence
 * interval of the mean from Student's t where there are at least 3 values.
 *
 * @param n      values
 * @param median median (mean of the middle two for an even count)
 * @param min    smallest
 * @param max    largest
 * @param mean   mean
 * @param ciLow  mean − t·s/√n, or NaN under 3 values
 * @param ciHigh mean + t·s/√n, or NaN under 3 values
 */
public record Summary(int n, double median, double min, double max, double mean, double ciLow, double ciHigh) {
    /** Fewer values than this give no confidence interval. */
    public static final int MIN_FOR_CI = 3;
    public static final double CONFIDENCE = 0.95;

    public static Summary of(Collection<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).filter(Double::isFinite).sorted().toArray();
        int n = v.length;
        if (n == 0) {
            return new Summary(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        double mean = Arrays.stream(v).average().orElseThrow();
        double low = Double.NaN;
        double high = Double.NaN;
        if (n >= MIN_FOR_CI) {
            double ss = 0;
            for (double x : v) {
                ss += (x - mean) * (x - mean);
            }
            double sd = Math.sqrt(ss / (n - 1));
            double t = new TDistribution(n - 1).inverseCumulativeProbability(1 - (1 - CONFIDENCE) / 2);
            double half = t * sd / Math.sqrt(n);
            low = mean - half;
            high = mean + half;
        }
        return new Summary(n, median, v[0], v[n - 1], mean, low, high);
    }

    public boolean hasCi() {
        return !Double.isNaN(ciLow);
    }
}
