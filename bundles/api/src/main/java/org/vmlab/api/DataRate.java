package org.vmlab.api;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A link rate in bits per second, as network rates are usually written. Zero means no limit, so a
 * rate limiter can treat {@link #UNLIMITED} as "do not throttle".
 *
 * @param bitsPerSecond the rate, {@code >= 0}; 0 means unlimited
 */
public record DataRate(long bitsPerSecond) {

    /** No rate limit. */
    public static final DataRate UNLIMITED = new DataRate(0);

    private static final Pattern SYNTAX = Pattern.compile(
            "(\\d+(?:\\.\\d+)?)\\s*(?:([kmgt])(?:bit(?:/s)?|bps)?|bit(?:/s)?|bps)?");
    private static final String[] UNITS = {"bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"};

    public DataRate {
        if (bitsPerSecond < 0) {
            throw new IllegalArgumentException("bitsPerSecond must be >= 0: " + bitsPerSecond);
        }
    }

    /**
     * Parses a rate: a number, optionally fractional, with an optional decimal SI prefix {@code k},
     * {@code m}, {@code g} or {@code t} (case-insensitive, 1k = 1000 bit/s) and an optional
     * {@code bit}, {@code bit/s} or {@code bps} suffix: {@code 1g}, {@code 100mbit}, {@code 2.5G},
     * {@code 800k}, {@code 1000000}, {@code 1 Gbit/s}. {@code unlimited} and any zero rate give
     * {@link #UNLIMITED}. Fractions are rounded to the nearest bit/s.
     *
     * @throws IllegalArgumentException if {@code text} is not a rate
     */
    public static DataRate parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("not a data rate: null (examples: 1g, 100m, 800k)");
        }
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("unlimited")) {
            return UNLIMITED;
        }
        Matcher m = SYNTAX.matcher(s);
        if (!m.matches()) {
            throw bad(text);
        }
        int exponent = m.group(2) == null ? 0 : 3 * (1 + "kmgt".indexOf(m.group(2)));
        long bits;
        try {
            bits = new BigDecimal(m.group(1)).scaleByPowerOfTen(exponent)
                    .setScale(0, RoundingMode.HALF_UP).longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("data rate too large: '" + text + "'");
        }
        if (bits == 0 && new BigDecimal(m.group(1)).signum() != 0) {
            throw new IllegalArgumentException("data rate below 1 bit/s: '" + text + "'");
        }
        return bits == 0 ? UNLIMITED : new DataRate(bits);
    }

    /** The rate in bytes per second (rounded down); 0 means unlimited, as for bits. */
    public long bytesPerSecond() {
        return bitsPerSecond / 8;
    }

    public boolean isUnlimited() {
        return bitsPerSecond == 0;
    }

    /**
     * The rate in the largest decimal unit it reaches, exactly: {@code 1 Gbit/s},
     * {@code 2.5 Gbit/s}, {@code 800 kbit/s}, {@code 123 bit/s}, or {@code unlimited}. The text
     * parses back to an equal rate.
     */
    @Override
    public String toString() {
        if (isUnlimited()) {
            return "unlimited";
        }
        int unit = 0;
        long scale = 1;
        while (unit < UNITS.length - 1 && bitsPerSecond >= scale * 1000) {
            scale *= 1000;
            unit++;
        }
        BigDecimal value = BigDecimal.valueOf(bitsPerSecond).divide(BigDecimal.valueOf(scale))
                .stripTrailingZeros();
        return value.toPlainString() + " " + UNITS[unit];
    }

    private static IllegalArgumentException bad(String text) {
        return new IllegalArgumentException(
                "not a data rate: '" + text + "' (examples: 1g, 100m, 800k)");
    }
}
