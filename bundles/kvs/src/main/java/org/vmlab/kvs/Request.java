package org.vmlab.kvs;

import java.nio.charset.StandardCharsets;

/** One command line split at spaces, as byte ranges of the line (no copy of the tokens). */
final class Request {
    private final byte[] line;
    private final int[] start;
    private final int[] end;
    private final int count;

    private Request(byte[] line, int[] start, int[] end, int count) {
        this.line = line;
        this.start = start;
        this.end = end;
        this.count = count;
    }

    /** Splits {@code line[0, len)} (without its line end) at runs of spaces. */
    static Request parse(byte[] line, int len) {
        int n = 0;
        for (int i = 0; i < len; i++) {
            if (line[i] != ' ' && (i == 0 || line[i - 1] == ' ')) {
                n++;
            }
        }
        int[] s = new int[n];
        int[] e = new int[n];
        int k = 0;
        for (int i = 0; i < len; i++) {
            if (line[i] != ' ' && (i == 0 || line[i - 1] == ' ')) {
                s[k] = i;
            }
            if (line[i] != ' ' && (i + 1 == len || line[i + 1] == ' ')) {
                e[k++] = i + 1;
            }
        }
        return new Request(line, s, e, n);
    }

    int count() {
        return count;
    }

    int length(int i) {
        return end[i] - start[i];
    }

    String text(int i) {
        return new String(line, start[i], end[i] - start[i], StandardCharsets.ISO_8859_1);
    }

    byte[] bytes(int i) {
        byte[] b = new byte[end[i] - start[i]];
        System.arraycopy(line, start[i], b, 0, b.length);
        return b;
    }

    boolean is(int i, String word) {
        if (i >= count || length(i) != word.length()) {
            return false;
        }
        for (int k = 0; k < word.length(); k++) {
            if (line[start[i] + k] != word.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Token {@code i} as memcached's safe_strtoul/strtoull read it: decimal digits only, at most
     * 64 bits unsigned; -1 if it is not such a number.
     */
    long unsigned(int i) {
        if (i >= count || length(i) == 0 || length(i) > 20) {
            return -1;
        }
        long x = 0;
        for (int k = start[i]; k < end[i]; k++) {
            int d = line[k] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            long y = x * 10 + d;
            if (Long.compareUnsigned(x, Long.divideUnsigned(-1L, 10)) > 0 || Long.compareUnsigned(y, x) < 0) {
                return -1;
            }
            x = y;
        }
        return x;
    }

    /** A signed decimal (exptime, delays); null if it is not one that fits a long. */
    Long signed(int i) {
        if (i >= count || length(i) == 0 || length(i) > 19) {
            return null;
        }
        try {
            return Long.parseLong(text(i));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
