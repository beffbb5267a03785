package org.vmlab.kvs;

/**
 * The flags of a meta command (tokens after the key, or after the data length for {@code ms}):
 * each a letter, some with a token right after it ({@code T30}, {@code Oopaque}).
 */
final class MetaFlags {
    private final boolean[] has = new boolean[128];
    private final String[] token = new String[128];
    private final StringBuilder order = new StringBuilder();
    final boolean valid;
    final String error;

    private MetaFlags(Request r, int from, String allowed) {
        String err = null;
        for (int i = from; i < r.count() && err == null; i++) {
            String t = r.text(i);
            char c = t.charAt(0);
            if (c >= 128 || allowed.indexOf(c) < 0) {
                err = "CLIENT_ERROR invalid flag";
            } else if (has[c]) {
                err = "CLIENT_ERROR duplicate flag";
            } else {
                has[c] = true;
                token[c] = t.substring(1);
                order.append(c);
            }
        }
        this.valid = err == null;
        this.error = err;
    }

    static MetaFlags parse(Request r, int from, String allowed) {
        return new MetaFlags(r, from, allowed);
    }

    /** The flags in the order the request gave them. */
    String order() {
        return order.toString();
    }

    boolean has(char c) {
        return has[c];
    }

    String token(char c) {
        return has[c] ? token[c] : null;
    }

    /** The numeric token of flag {@code c}: null if absent, a refusal if not a number. */
    Long number(char c) {
        String t = token(c);
        if (t == null) {
            return null;
        }
        try {
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("CLIENT_ERROR bad token in command line format");
        }
    }

    /** An unsigned 64-bit numeric token (CAS values, deltas). */
    Long unsignedNumber(char c) {
        String t = token(c);
        if (t == null) {
            return null;
        }
        try {
            return Long.parseUnsignedLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("CLIENT_ERROR bad token in command line format");
        }
    }
}
