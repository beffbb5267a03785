package org.vmlab.kvs;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * memcached's text protocol, one constant per command: each reads its request line and writes
 * its replies, side by side (doc/protocol.txt). Meta commands are in {@link MetaCommand}.
 */
enum TextCommand {
    GET("get", (s, r) -> retrieve(s, r, 1, false, null)),
    GETS("gets", (s, r) -> retrieve(s, r, 1, true, null)),
    GAT("gat", (s, r) -> gat(s, r, false)),
    GATS("gats", (s, r) -> gat(s, r, true)),
    SET("set", (s, r) -> storage(s, r, Operations.Mode.SET)),
    ADD("add", (s, r) -> storage(s, r, Operations.Mode.ADD)),
    REPLACE("replace", (s, r) -> storage(s, r, Operations.Mode.REPLACE)),
    APPEND("append", (s, r) -> storage(s, r, Operations.Mode.APPEND)),
    PREPEND("prepend", (s, r) -> storage(s, r, Operations.Mode.PREPEND)),
    CAS("cas", (s, r) -> storage(s, r, Operations.Mode.CAS)),
    DELETE("delete") {
        @Override
        void handle(Session s, Request r) {
            // "delete <key> [0] [noreply]": memcached still accepts a zero hold time.
            int n = r.count();
            boolean noreply = r.is(n - 1, "noreply");
            int args = n - (noreply ? 1 : 0);
            if (args < 2 || args > 3 || (args == 3 && !r.is(2, "0")) || r.length(1) > Items.MAX_KEY) {
                if (noreply) {
                    return; // memcached's noreply silences the refusal too
                }
                s.write(args == 3 ? Replies.bytes("CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n")
                        : args < 2 ? Replies.ERROR : Replies.BAD_FORMAT);
                return;
            }
            Operations.Result res = s.ops().delete(r.bytes(1), 0);
            reply(s, noreply, Replies.of(res));
        }
    },
    INCR("incr", (s, r) -> arith(s, r, true)),
    DECR("decr", (s, r) -> arith(s, r, false)),
    TOUCH("touch") {
        @Override
        void handle(Session s, Request r) {
            boolean noreply = r.is(r.count() - 1, "noreply");
            int args = r.count() - (noreply ? 1 : 0);
            if (args != 3 || r.length(1) > Items.MAX_KEY) {
                s.write(args < 3 ? Replies.ERROR : Replies.BAD_FORMAT);
                return;
            }
            Long exptime = r.signed(2);
            if (exptime == null) {
                s.write(Replies.BAD_EXPTIME);
                return;
            }
            reply(s, noreply, Replies.of(s.ops().touch(r.bytes(1), exptime)));
        }
    },
    FLUSH_ALL("flush_all") {
        @Override
        void handle(Session s, Request r) {
            boolean noreply = r.is(r.count() - 1, "noreply");
            int args = r.count() - (noreply ? 1 : 0);
            long delay = 0;
            if (args == 2) {
                Long d = r.signed(1);
                if (d == null) {
                    if (!noreply) {
                        s.write(Replies.BAD_EXPTIME);
                    }
                    return;
                }
                delay = d;
            } else if (args > 2) {
                s.write(Replies.ERROR);
                return;
            }
            s.ops().store().flush(delay);
            reply(s, noreply, Replies.OK);
        }
    },
    STATS("stats") {
        @Override
        void handle(Session s, Request r) {
            String sub = r.count() > 1 ? r.text(1) : "";
            if (sub.equals("reset")) {
                s.server().resetStats();
                s.write(Replies.RESET);
                return;
            }
            Map<String, String> stats = s.server().statsSection(sub);
            if (stats == null) {
                s.write(Replies.ERROR);
                return;
            }
            StringBuilder b = new StringBuilder();
            stats.forEach((k, v) -> b.append("STAT ").append(k).append(' ').append(v).append("\r\n"));
            b.append("END\r\n");
            s.write(b.toString().getBytes(StandardCharsets.ISO_8859_1));
        }
    },
    VERSION("version") {
        @Override
        void handle(Session s, Request r) {
            s.line("VERSION " + KvsServerImpl.VERSION);
        }
    },
    VERBOSITY("verbosity") {
        @Override
        void handle(Session s, Request r) {
            if (r.count() < 2 || r.count() > 3) {
                s.write(Replies.ERROR);
                return;
            }
            boolean noreply = r.is(r.count() - 1, "noreply");
            long level = r.unsigned(1);
            // memcached: "verbosity noreply" reads "noreply" as the level, fails, and says nothing.
            // There is no level to change here: vmlab logs through slf4j.
            reply(s, noreply, level < 0 || level > 0xFFFF_FFFFL ? Replies.BAD_FORMAT : Replies.OK);
        }
    },
    SLABS("slabs") {
        @Override
        void handle(Session s, Request r) {
            // Pages move between classes on their own here (when a class has no items to give);
            // "slabs automove" is accepted for clients that set it.
            if (r.count() == 3 && r.is(1, "automove")) {
                long v = r.unsigned(2);
                s.write(v < 0 || v > 2 ? Replies.BAD_FORMAT : Replies.OK);
            } else if (r.count() >= 2 && r.is(1, "reassign")) {
                s.line("NOTIMPL: pages are reassigned automatically");
            } else {
                s.write(Replies.ERROR);
            }
        }
    },
    QUIT("quit") {
        @Override
        void handle(Session s, Request r) {
            s.close();
        }
    };

    private static final Map<String, TextCommand> BY_NAME = new HashMap<>();

    static {
        for (TextCommand c : values()) {
            BY_NAME.put(c.word, c);
        }
    }

    private final String word;
    private final java.util.function.BiConsumer<Session, Request> handler;

    /** A command whose handling is one of the shared routines below. */
    TextCommand(String word, java.util.function.BiConsumer<Session, Request> handler) {
        this.word = word;
        this.handler = handler;
    }

    /** A command with its own body ({@link #handle} overridden). */
    TextCommand(String word) {
        this(word, null);
    }

    /** The command named by the first token, or null. */
    static TextCommand of(Request r) {
        return r.count() == 0 ? null : BY_NAME.get(r.text(0));
    }

    /** Reads the request and writes the replies. */
    void handle(Session s, Request r) {
        handler.accept(s, r);
    }

    static void reply(Session s, boolean noreply, byte[] line) {
        if (!noreply) {
            s.write(line);
        }
    }

    /** get, gets, gat, gats from token {@code first} on; suspends when the client is behind. */
    static void retrieve(Session s, Request r, int first, boolean withCas, Long exptime) {
        if (r.count() <= first) {
            s.write(Replies.ERROR);
            return;
        }
        for (int i = first; i < r.count(); i++) {
            if (r.length(i) > Items.MAX_KEY) {
                s.write(Replies.BAD_FORMAT);
                return;
            }
        }
        sendValues(s, r, first, withCas, exptime);
    }

    private static void sendValues(Session s, Request r, int from, boolean withCas, Long exptime) {
        for (int i = from; i < r.count(); i++) {
            byte[] key = r.bytes(i);
            Hit h = s.ops().get(key, true, exptime);
            if (h != null) {
                String head = "VALUE " + r.text(i) + " " + Integer.toUnsignedString(h.flags()) + " " + h.value().length
                        + (withCas ? " " + h.cas() : "") + "\r\n";
                s.write(head.getBytes(StandardCharsets.ISO_8859_1));
                s.write(h.value());
                s.write(Replies.CRLF);
            }
            if (!s.hasRoom() && i + 1 < r.count()) {
                int next = i + 1;
                s.suspend(() -> sendValues(s, r, next, withCas, exptime));
                return;
            }
        }
        s.write(Replies.END);
    }

    private static void gat(Session s, Request r, boolean withCas) {
        if (r.count() < 3) {
            s.write(Replies.ERROR);
            return;
        }
        Long exptime = r.signed(1);
        if (exptime == null) {
            s.write(Replies.BAD_EXPTIME);
            return;
        }
        retrieve(s, r, 2, withCas, exptime);
    }

    /** set/add/replace/append/prepend/cas key flags exptime bytes [cas] [noreply], then the data. */
    private static void storage(Session s, Request r, Operations.Mode mode) {
        int want = mode == Operations.Mode.CAS ? 6 : 5;
        boolean noreply = r.is(want, "noreply");
        if (r.count() != want + (noreply ? 1 : 0)) {
            s.write(r.count() < want ? Replies.ERROR : Replies.BAD_FORMAT);
            return;
        }
        long flags = r.unsigned(2);
        Long exptime = r.signed(3);
        Long len = r.signed(4);
        long casIn = mode == Operations.Mode.CAS ? r.unsigned(5) : 0;
        if (r.length(1) > Items.MAX_KEY || flags < 0 || flags > 0xFFFF_FFFFL || exptime == null || len == null
                || len < 0 || casIn < 0 || len > Integer.MAX_VALUE - 2) {
            s.write(Replies.BAD_FORMAT);
            if (len != null && len >= 0 && r.length(1) > Items.MAX_KEY) {
                s.swallow(len + 2); // memcached skips the data of a command whose key was too long
            }
            return;
        }
        byte[] key = r.bytes(1);
        int n = (int) (long) len;
        if (!s.ops().store().fits(key.length, n)) {
            s.write(Replies.TOO_LARGE);
            s.swallow(n + 2L);
            if (mode == Operations.Mode.SET) {
                s.ops().delete(key, 0); // memcached drops the old value a failed set would replace
            }
            return;
        }
        long ttl = exptime;
        s.expectData(n + 2, data -> {
            if (data[n] != '\r' || data[n + 1] != '\n') {
                s.write(Replies.BAD_CHUNK);
                return;
            }
            byte[] value = java.util.Arrays.copyOf(data, n);
            Operations.Stored res = s.ops().store(mode, key, (int) flags, ttl, value, casIn);
            reply(s, noreply, Replies.of(res.result()));
        });
    }

    private static void arith(Session s, Request r, boolean incr) {
        boolean noreply = r.is(r.count() - 1, "noreply");
        int args = r.count() - (noreply ? 1 : 0);
        if (args != 3) {
            s.write(Replies.ERROR);
            return;
        }
        if (r.length(1) > Items.MAX_KEY) {
            s.write(Replies.BAD_FORMAT);
            return;
        }
        long delta = r.unsigned(2);
        if (delta == -1 && !r.is(2, "18446744073709551615")) {
            s.write(Replies.BAD_DELTA);
            return;
        }
        Operations.Arith a = s.ops().arith(r.bytes(1), incr, delta, 0, false, 0, 0, null);
        if (a.result() == Operations.Result.STORED) {
            if (!noreply) {
                s.line(a.value());
            }
        } else {
            reply(s, noreply, Replies.of(a.result()));
        }
    }
}
