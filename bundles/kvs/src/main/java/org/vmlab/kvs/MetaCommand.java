package org.vmlab.kvs;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * memcached's meta protocol (mg, ms, md, ma, mn, me), one constant per command: each reads its
 * request and writes its reply, side by side. Return flags are written back in the order
 * memcached uses: the value size first for VA, then the flags asked for.
 */
enum MetaCommand {
    MG("mg", "bcfhklOqstuvENRT") {
        @Override
        void run(Session s, Request r, byte[] key, MetaFlags f) {
            Long ttl = f.number('T');
            MetaOperations.MetaHit mh = s.ops().meta().get(key, !f.has('u'), ttl, f.number('N'), f.number('R'));
            Hit h = mh.hit();
            if (h == null) {
                if (!f.has('q')) {
                    s.write(Replies.EN);
                }
                return;
            }
            StringBuilder b = new StringBuilder(f.has('v') ? "VA " + h.value().length : "HD");
            int now = s.ops().store().now();
            for (char c : f.order().toCharArray()) {
                switch (c) {
                    case 'c' -> b.append(" c").append(h.cas());
                    case 'f' -> b.append(" f").append(Integer.toUnsignedString(h.flags()));
                    case 'h' -> b.append(" h").append(h.fetchedBefore() ? 1 : 0);
                    case 'k' -> b.append(" k").append(r.text(1)).append(f.has('b') ? " b" : "");
                    case 'l' -> b.append(" l").append(Math.max(0, now - h.lastAccess()));
                    case 'O' -> b.append(" O").append(f.token('O'));
                    case 's' -> b.append(" s").append(h.value().length);
                    case 't' -> b.append(" t").append(h.exptime() == 0 ? -1 : Math.max(0, h.exptime() - now));
                    default -> {
                        // flags that change what happens (b, q, u, v, T, ...) are not echoed
                    }
                }
            }
            MetaOperations.Lease lease = mh.lease();
            b.append(lease.win() ? " W" : "").append(lease.stale() ? " X" : "").append(lease.alreadySent() ? " Z" : "");
            b.append("\r\n");
            s.write(b.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (f.has('v')) {
                s.write(h.value());
                s.write(Replies.CRLF);
            }
        }
    },
    MS("ms", "bcCEFIkOqsSTM") {
        @Override
        void handle(Session s, Request r) {
            if (r.count() < 3) {
                s.write(Replies.BAD_FORMAT);
                return;
            }
            byte[] key = key(s, r);
            Long len = r.signed(2);
            if (key == null) {
                return;
            }
            if (len == null || len < 0 || len > Integer.MAX_VALUE - 2) {
                s.write(Replies.BAD_FORMAT);
                return;
            }
            MetaFlags f = MetaFlags.parse(r, 3, allowed);
            int n = (int) (long) len;
            if (!f.valid) {
                s.line(f.error);
                s.swallow(n + 2L);
                return;
            }
            Operations.Mode mode;
            long flags;
            long ttl;
            long casIn;
            try {
                mode = mode(f.token('M'));
                flags = f.has('F') ? f.unsignedNumber('F') : 0;
                ttl = f.has('T') ? f.number('T') : 0;
                casIn = f.has('C') ? f.unsignedNumber('C') : 0;
            } catch (IllegalArgumentException e) {
                s.line(e.getMessage());
                s.swallow(n + 2L);
                return;
            }
            if (!s.ops().store().fits(key.length, n)) {
                s.write(Replies.TOO_LARGE);
                s.swallow(n + 2L);
                return;
            }
            // C0 is a CAS to compare too (and fails), as memcached reads it.
            Operations.Mode m = f.has('C') && mode == Operations.Mode.SET ? Operations.Mode.CAS : mode;
            s.expectData(n + 2, data -> {
                if (data[n] != '\r' || data[n + 1] != '\n') {
                    s.write(Replies.BAD_CHUNK);
                    return;
                }
                Operations.Stored res = s.ops().store(m, key, (int) flags, ttl, java.util.Arrays.copyOf(data, n), casIn,
                        f.has('I'));
                String code = switch (res.result()) {
                    case STORED -> "HD";
                    case NOT_STORED -> "NS";
                    case EXISTS -> "EX";
                    case NOT_FOUND -> "NF";
                    case TOO_LARGE -> null;
                    default -> null;
                };
                if (code == null) {
                    s.write(Replies.of(res.result()));
                } else if (!(f.has('q') && code.equals("HD"))) {
                    s.line(code + returnFlags(r, f, res.cas()));
                }
            });
        }

        @Override
        void run(Session s, Request r, byte[] key, MetaFlags f) {
            throw new UnsupportedOperationException("ms reads its data block in handle()");
        }
    },
    MD("md", "bCEIkOqTx") {
        @Override
        void run(Session s, Request r, byte[] key, MetaFlags f) {
            long casIn = f.has('C') ? f.unsignedNumber('C') : 0;
            Operations.Result res;
            if (f.has('I')) {
                res = s.ops().meta().invalidate(key, casIn, f.number('T'));
            } else if (f.has('x')) {
                Hit h = s.ops().peek(key);
                res = h == null ? Operations.Result.NOT_FOUND
                        : s.ops().store(Operations.Mode.REPLACE, key, 0, h.exptime() == 0 ? 0
                                : Math.max(1, h.exptime() - s.ops().store().now()), new byte[0], casIn).result();
                res = res == Operations.Result.STORED ? Operations.Result.DELETED : res;
            } else {
                res = s.ops().delete(key, casIn);
            }
            String code = switch (res) {
                case DELETED -> "HD";
                case EXISTS -> "EX";
                default -> "NF";
            };
            if (!(f.has('q') && (code.equals("HD") || code.equals("NF")))) {
                s.line(code + returnFlags(r, f, 0));
            }
        }
    },
    MA("ma", "bCENJDTMqOtcvk") {
        @Override
        void run(Session s, Request r, byte[] key, MetaFlags f) {
            String m = f.token('M');
            boolean incr = m == null || m.equals("I") || m.equals("i") || m.equals("+") || m.equalsIgnoreCase("incr");
            if (m != null && !incr && !(m.equals("D") || m.equals("d") || m.equals("-") || m.equalsIgnoreCase("decr"))) {
                s.line("CLIENT_ERROR invalid mode for ma M token");
                return;
            }
            long delta = f.has('D') ? f.unsignedNumber('D') : 1;
            long initial = f.has('J') ? f.unsignedNumber('J') : 0;
            long casIn = f.has('C') ? f.unsignedNumber('C') : 0;
            Long vivify = f.number('N');
            Operations.Arith a = s.ops().arith(key, incr, delta, casIn, vivify != null, initial,
                    vivify == null ? 0 : vivify, f.number('T'));
            switch (a.result()) {
                case STORED -> {
                    StringBuilder b = new StringBuilder(f.has('v') ? "VA " + a.value().length() : "HD");
                    Hit h = f.has('t') ? s.ops().peek(key) : null;
                    if (f.has('t')) {
                        int now = s.ops().store().now();
                        b.append(" t").append(h == null || h.exptime() == 0 ? -1 : Math.max(0, h.exptime() - now));
                    }
                    b.append(returnFlags(r, f, a.cas()));
                    if (!(f.has('q') && !f.has('v'))) {
                        s.line(b.toString());
                        if (f.has('v')) {
                            s.line(a.value());
                        }
                    }
                }
                case NOT_FOUND -> {
                    if (!f.has('q')) {
                        s.line("NF" + returnFlags(r, f, 0));
                    }
                }
                case EXISTS -> s.line("EX" + returnFlags(r, f, 0));
                case NON_NUMERIC -> s.write(Replies.NON_NUMERIC);
                default -> s.line("NS" + returnFlags(r, f, 0));
            }
        }
    },
    MN("mn", "") {
        @Override
        void handle(Session s, Request r) {
            s.write(Replies.MN);
        }

        @Override
        void run(Session s, Request r, byte[] key, MetaFlags f) {
        }
    },
    ME("me", "b") {
        @Override
        void run(Session s, Request r, byte[] key, MetaFlags f) {
            Hit h = s.ops().peek(key);
            if (h == null) {
                s.write(Replies.EN);
                return;
            }
            int now = s.ops().store().now();
            s.line("ME " + r.text(1) + " exp=" + (h.exptime() == 0 ? -1 : Math.max(0, h.exptime() - now))
                    + " la=" + Math.max(0, now - h.lastAccess()) + " cas=" + h.cas()
                    + " fetch=" + (h.fetchedBefore() ? "yes" : "no") + " cls=" + (h.clsid() + 1)
                    + " size=" + Items.total(key.length, h.value().length) + " tier=" + h.tier());
        }
    };

    final String word;
    final String allowed;

    MetaCommand(String word, String allowed) {
        this.word = word;
        this.allowed = allowed;
    }

    static MetaCommand of(Request r) {
        if (r.count() == 0 || r.length(0) != 2) {
            return null;
        }
        for (MetaCommand c : values()) {
            if (r.is(0, c.word)) {
                return c;
            }
        }
        return null;
    }

    /** Reads the key and flags, then {@link #run}s. */
    void handle(Session s, Request r) {
        if (r.count() < 2) {
            s.write(Replies.BAD_FORMAT);
            return;
        }
        MetaFlags f = MetaFlags.parse(r, 2, allowed);
        if (!f.valid) {
            s.line(f.error);
            return;
        }
        byte[] key = key(s, r, f.has('b'));
        if (key == null) {
            return;
        }
        try {
            run(s, r, key, f);
        } catch (IllegalArgumentException e) {
            s.line(e.getMessage());
        }
    }

    abstract void run(Session s, Request r, byte[] key, MetaFlags f);

    /** The key token (base64-decoded with {@code b}); null after writing the error if it is bad. */
    static byte[] key(Session s, Request r, boolean base64) {
        if (r.length(1) > Items.MAX_KEY) {
            s.write(Replies.BAD_FORMAT);
            return null;
        }
        if (!base64) {
            return r.bytes(1);
        }
        try {
            byte[] k = Base64.getDecoder().decode(r.bytes(1));
            if (k.length == 0 || k.length > Items.MAX_KEY) {
                s.write(Replies.BAD_FORMAT);
                return null;
            }
            return k;
        } catch (IllegalArgumentException e) {
            s.line("CLIENT_ERROR error decoding key");
            return null;
        }
    }

    /** ms: the key, base64 if a {@code b} flag follows the data length. */
    static byte[] key(Session s, Request r) {
        boolean b = false;
        for (int i = 3; i < r.count(); i++) {
            b |= r.is(i, "b");
        }
        return key(s, r, b);
    }

    /** The flags the other meta replies echo when asked, in request order: c (cas), k (key, b), O (opaque). */
    static String returnFlags(Request r, MetaFlags f, long cas) {
        StringBuilder b = new StringBuilder();
        for (char c : f.order().toCharArray()) {
            switch (c) {
                case 'c' -> b.append(" c").append(cas);
                case 'k' -> b.append(" k").append(r.text(1)).append(f.has('b') ? " b" : "");
                case 'O' -> b.append(" O").append(f.token('O'));
                default -> {
                    // not echoed
                }
            }
        }
        return b.toString();
    }

    static Operations.Mode mode(String token) {
        if (token == null || token.isEmpty()) {
            return Operations.Mode.SET;
        }
        return switch (token.charAt(0)) {
            case 'E', 'e' -> Operations.Mode.ADD;
            case 'A', 'a' -> Operations.Mode.APPEND;
            case 'P', 'p' -> Operations.Mode.PREPEND;
            case 'R', 'r' -> Operations.Mode.REPLACE;
            case 'S', 's' -> Operations.Mode.SET;
            default -> throw new IllegalArgumentException("CLIENT_ERROR invalid mode for ms M token");
        };
    }
}
