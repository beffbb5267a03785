package org.vmlab.api;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An amount of memory or storage in bytes, written with binary prefixes (1k = 1024 bytes) as
 * memory and disk sizes usually are.
 *
 * @param bytes the size, {@code >= 0}
 */
public record ByteSize(long bytes) implements Comparable<ByteSize> {

    private static final Pattern SYNTAX =
            Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(?:([kmgtp])(?:ib|b)?|b)?");
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

    public ByteSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be >= 0: " + bytes);
        }
    }

    /**
     * Parses a size: a number with an optional binary prefix {@code k}, {@code m}, {@code g},
     * {@code t} or {@code p} (case-insensitive, 1k = 1024 bytes), optionally followed by
     * {@code b} or {@code ib}: {@code 4096}, {@code 64k}, {@code 512M}, {@code 8G}, {@code 1T},
     * {@code 8 GiB}, {@code 123 B}. A fraction is allowed if the result is a whole number of bytes
     * ({@code 1.5G}).
     *
     * @throws IllegalArgumentException if {@code text} is not a size
     */
    public static ByteSize parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("not a size: null (examples: 4096, 64k, 512M, 8G)");
        }
        Matcher m = SYNTAX.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "not a size: '" + text + "' (examples: 4096, 64k, 512M, 8G)");
        }
        int shift = m.group(2) == null ? 0 : 10 * (1 + "kmgtp".indexOf(m.group(2)));
        BigDecimal value = new BigDecimal(m.group(1)).multiply(new BigDecimal(1L << shift));
        try {
            return new ByteSize(value.longValueExact());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(value.stripTrailingZeros().scale() > 0
                    ? "not a whole number of bytes: '" + text + "'"
                    : "size too large: '" + text + "'");
        }
    }

    /** The number of 4 KiB pages needed to hold this size, rounded up. */
    public long pages() {
        return org.vmlab.api.memory.Pages.count(bytes);
    }

    @Override
    public int compareTo(ByteSize other) {
        return Long.compare(bytes, other.bytes);
    }

    /**
     * The size in the largest binary unit that shows it exactly with at most two decimals:
     * {@code 8 GiB}, {@code 1.5 GiB}, {@code 512 MiB}, {@code 4 KiB}, {@code 123 B},
     * {@code 4097 B}. The text parses back to an equal size.
     */
    @Override
    public String toString() {
        for (int unit = UNITS.length - 1; unit > 0; unit--) {
            long scale = 1L << (10 * unit);
            if (bytes >= scale) {
                BigDecimal value = BigDecimal.valueOf(bytes)
                        .divide(BigDecimal.valueOf(scale)).stripTrailingZeros();
                if (value.scale() <= 2) {
                    return value.toPlainString() + " " + UNITS[unit];
                }
            }
        }
        return bytes + " B";
    }
}
