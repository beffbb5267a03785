package org.vmlab.api.migration;

import java.util.Objects;

/**
 * A host and TCP port, e.g. a migration receiver or a backup site.
 *
 * @param host a host name or IP address (an IPv6 address without brackets)
 * @param port 1 to 65535
 */
public record Endpoint(String host, int port) {
    public Endpoint {
        Objects.requireNonNull(host, "host");
        if (host.isBlank() || host.chars().anyMatch(c -> Character.isWhitespace(c) || c == '['
                || c == ']' || c == '/')) {
            throw new IllegalArgumentException("bad host: '" + host + "'");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535: " + port);
        }
    }

    /**
     * Parses {@code host:port}, with an IPv6 address in brackets: {@code 10.0.0.2:7001},
     * {@code node2:7001}, {@code [::1]:7001}.
     *
     * @throws IllegalArgumentException if {@code text} is not an endpoint
     */
    public static Endpoint parse(String text) {
        if (text == null) {
            throw bad(null);
        }
        String s = text.trim();
        String host;
        String port;
        if (s.startsWith("[")) {
            int close = s.indexOf("]:");
            if (close < 0) {
                throw bad(text);
            }
            host = s.substring(1, close);
            port = s.substring(close + 2);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon < 0 || s.indexOf(':') != colon) {
                throw bad(text);
            }
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
        }
        if (host.isEmpty() || port.isEmpty() || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw bad(text);
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            p = -1;
        }
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("port must be 1..65535: " + port + " in '" + text + "'");
        }
        try {
            return new Endpoint(host, p);
        } catch (IllegalArgumentException e) {
            throw bad(text);
        }
    }

    /** {@code host:port}, with an IPv6 address in brackets; parses back to an equal endpoint. */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    private static IllegalArgumentException bad(String text) {
        return new IllegalArgumentException("not an endpoint: " + (text == null ? "null" : "'" + text + "'")
                + " (expected host:port, e.g. 10.0.0.2:7001 or [::1]:7001)");
    }
}
