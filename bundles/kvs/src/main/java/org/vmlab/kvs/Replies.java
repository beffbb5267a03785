package org.vmlab.kvs;

import java.nio.charset.StandardCharsets;

/** The fixed reply lines of the text and meta protocols. */
final class Replies {
    static final byte[] CRLF = bytes("\r\n");
    static final byte[] END = bytes("END\r\n");
    static final byte[] STORED = bytes("STORED\r\n");
    static final byte[] NOT_STORED = bytes("NOT_STORED\r\n");
    static final byte[] EXISTS = bytes("EXISTS\r\n");
    static final byte[] NOT_FOUND = bytes("NOT_FOUND\r\n");
    static final byte[] DELETED = bytes("DELETED\r\n");
    static final byte[] TOUCHED = bytes("TOUCHED\r\n");
    static final byte[] OK = bytes("OK\r\n");
    static final byte[] ERROR = bytes("ERROR\r\n");
    static final byte[] BAD_FORMAT = bytes("CLIENT_ERROR bad command line format\r\n");
    static final byte[] BAD_CHUNK = bytes("CLIENT_ERROR bad data chunk\r\n");
    static final byte[] TOO_LARGE = bytes("SERVER_ERROR object too large for cache\r\n");
    static final byte[] NO_MEMORY = bytes("SERVER_ERROR out of memory storing object\r\n");
    static final byte[] NON_NUMERIC = bytes("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
    static final byte[] BAD_DELTA = bytes("CLIENT_ERROR invalid numeric delta argument\r\n");
    static final byte[] BAD_EXPTIME = bytes("CLIENT_ERROR invalid exptime argument\r\n");
    static final byte[] LINE_TOO_LONG = bytes("CLIENT_ERROR line too long\r\n");
    static final byte[] TOO_MANY_CONNECTIONS = bytes("ERROR Too many open connections\r\n");
    static final byte[] RESET = bytes("RESET\r\n");
    static final byte[] MN = bytes("MN\r\n");
    static final byte[] EN = bytes("EN\r\n");

    private Replies() {
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The reply line of a storage, delete or touch result. */
    static byte[] of(Operations.Result r) {
        return switch (r) {
            case STORED -> STORED;
            case NOT_STORED -> NOT_STORED;
            case EXISTS -> EXISTS;
            case NOT_FOUND -> NOT_FOUND;
            case DELETED -> DELETED;
            case TOUCHED -> TOUCHED;
            case TOO_LARGE -> TOO_LARGE;
            case NO_MEMORY -> NO_MEMORY;
            case NON_NUMERIC -> NON_NUMERIC;
        };
    }
}
