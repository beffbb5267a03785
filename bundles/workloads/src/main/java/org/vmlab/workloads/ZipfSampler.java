package org.vmlab.workloads;

import java.util.SplittableRandom;

/**
 * Zipf-distributed ranks {@code 1..n} with exponent {@code s > 0} (P(k) proportional to
 * k<sup>-s</sup>) by rejection-inversion (Hörmann and Derflinger, "Rejection-inversion to generate
 * variates from monotone discrete distributions", 1996): O(1) time and memory per sample for any
 * n, about 1.1 uniform variates per sample. Immutable; the caller brings its own random source.
 */
public final class ZipfSampler {
    private final long n;
    private final double exponent;
    private final double hIntegralX1;
    private final double hIntegralN;
    private final double sLimit;

    public ZipfSampler(long n, double exponent) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1: " + n);
        }
        if (!(exponent > 0) || Double.isInfinite(exponent)) {
            throw new IllegalArgumentException("exponent must be > 0: " + exponent);
        }
        this.n = n;
        this.exponent = exponent;
        this.hIntegralX1 = hIntegral(1.5) - 1d;
        this.hIntegralN = hIntegral(n + 0.5);
        this.sLimit = 2d - hIntegralInverse(hIntegral(2.5) - h(2));
    }

    /** A rank in {@code [1, n]}; rank 1 is the most frequent. */
    public long sample(SplittableRandom rng) {
        while (true) {
            double u = hIntegralN + rng.nextDouble() * (hIntegralX1 - hIntegralN);
            double x = hIntegralInverse(u);
            long k = (long) (x + 0.5);
            if (k < 1) {
                k = 1;
            } else if (k > n) {
                k = n;
            }
            if (k - x <= sLimit || u >= hIntegral(k + 0.5) - h(k)) {
                return k;
            }
        }
    }

    private double hIntegral(double x) {
        double logX = Math.log(x);
        return helper2((1d - exponent) * logX) * logX;
    }

    private double h(double x) {
        return Math.exp(-exponent * Math.log(x));
    }

    private double hIntegralInverse(double x) {
        double t = x * (1d - exponent);
        if (t < -1d) {
            t = -1d;
        }
        return Math.exp(helper1(t) * x);
    }

    /** log(1+x)/x, accurate near 0. */
    private static double helper1(double x) {
        return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1d - x * (0.5 - x * (1d / 3 - 0.25 * x));
    }

    /** (exp(x)-1)/x, accurate near 0. */
    private static double helper2(double x) {
        return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1d + x * 0.5 * (1d + x * (1d / 3) * (1d + 0.25 * x));
    }
}
