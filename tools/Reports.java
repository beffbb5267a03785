import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Reads what {@code bin/vmlab ... --json} prints, for the demo and the benches, on a machine that
 * has only a JDK (no jq, no python). Run it as a single-file program:
 *
 * <pre>
 *   java tools/Reports.java names POLICY_LIST_JSON FAMILY     provider names of a family, one a line
 *   java tools/Reports.java get REPORT_JSON FIELD...          fields (a.b for nested ones), tab-separated
 *   java tools/Reports.java table LABEL=REPORT_JSON...        comparison table; exit 1 if a run did
 *                                                             not complete verified
 *   java tools/Reports.java after-switchover REPORT_JSON SECONDS
 *                                                             mean guest throughput (MiB/s), samples,
 *                                                             resume time, mean guest ops/s and the
 *                                                             highest p99 response time (ms) of the
 *                                                             timeline in the first SECONDS after the
 *                                                             destination resumed
 *   java tools/Reports.java socket-copy BYTES [DIR]           copies BYTES through a loopback TCP
 *                                                             socket; prints "ms MiB/s"; with DIR the
 *                                                             reader writes them into a fresh file
 *                                                             mapped from DIR, as a destination fills
 *                                                             fresh guest memory
 * </pre>
 *
 * A file that holds no JSON object (the command failed before it printed a report) counts as a
 * failed run in {@code table}; its first line is shown as the reason.
 */
public final class Reports {
    private Reports() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage("no subcommand");
        }
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "names" -> names(rest);
            case "get" -> get(rest);
            case "table" -> System.exit(table(rest));
            case "after-switchover" -> afterSwitchover(rest);
            case "socket-copy" -> socketCopy(rest);
            default -> usage("unknown subcommand '" + args[0] + "'");
        }
    }

    private static void usage(String why) {
        System.err.println("Error: " + why + " (subcommands: names, get, table, after-switchover, socket-copy)");
        System.exit(2);
    }

    // ---- subcommands ---------------------------------------------------------------------------

    private static void names(String[] a) throws IOException {
        if (a.length != 2) {
            usage("names takes POLICY_LIST_JSON FAMILY");
        }
        Object v = parseFile(Path.of(a[0]));
        if (!(v instanceof List<?> list)) {
            throw new IllegalArgumentException(a[0] + " holds no JSON array");
        }
        for (Object o : list) {
            if (o instanceof Map<?, ?> m && a[1].equals(m.get("family"))) {
                System.out.println(m.get("name"));
            }
        }
    }

    private static void get(String[] a) throws IOException {
        if (a.length < 2) {
            usage("get takes REPORT_JSON FIELD...");
        }
        Map<?, ?> m = object(Path.of(a[0]));
        List<String> out = new ArrayList<>();
        for (int i = 1; i < a.length; i++) {
            Object v = m;
            for (String key : a[i].split("\\.")) {
                v = v instanceof Map<?, ?> inner ? inner.get(key) : null;
            }
            out.add(text(v));
        }
        System.out.println(String.join("\t", out));
    }

    private static int table(String[] a) throws IOException {
        String format = "%-9s %-15s %-10s %-9s %9s %9s %9s %7s %10s%n";
        System.out.printf(format, "engine", "ordering", "status", "verified", "total ms", "down ms", "net MiB", "rounds", "re-sent");
        int bad = 0;
        for (String arg : a) {
            int eq = arg.indexOf('=');
            String label = eq > 0 ? arg.substring(0, eq) : "";
            Path file = Path.of(eq > 0 ? arg.substring(eq + 1) : arg);
            String[] lo = label.split("/", 2);
            Map<?, ?> m;
            try {
                m = object(file);
            } catch (IllegalArgumentException | IOException e) {
                bad++;
                String first = Files.exists(file) ? Files.readString(file).strip().lines().findFirst().orElse("no output") : "no output";
                System.out.printf(format, lo[0], lo.length > 1 ? lo[1] : "", "error", "-", "-", "-", "-", "-", "-");
                System.out.println("    " + first);
                continue;
            }
            boolean ok = "completed".equals(m.get("status")) && "passed".equals(m.get("verified"));
            if (!ok) {
                bad++;
            }
            System.out.printf(format, text(m.get("engine")), text(m.get("ordering")), text(m.get("status")),
                    text(m.get("verified")).replace("not_requested", "no"), text(m.get("totalTimeMs")), text(m.get("downtimeMs")),
                    String.format(Locale.ROOT, "%.1f", number(m.get("bytesNetwork")) / 1048576.0), text(m.get("rounds")),
                    text(m.get("pagesResent")));
            if (m.get("failureReason") != null) {
                System.out.println("    " + m.get("failureReason"));
            }
        }
        return bad == 0 ? 0 : 1;
    }

    /**
     * The destination resumed at {@code totalTimeMs - postcopyTimeMs} when the report has a
     * postcopy phase, else at the end of the migration; the timeline's samples after it (up to
     * SECONDS later) are averaged.
     */
    private static void afterSwitchover(String[] a) throws IOException {
        if (a.length != 2) {
            usage("after-switchover takes REPORT_JSON SECONDS");
        }
        Map<?, ?> m = object(Path.of(a[0]));
        double window = Double.parseDouble(a[1]);
        double total = number(m.get("totalTimeMs")) / 1000.0;
        double postcopy = m.get("postcopyTimeMs") == null ? 0 : number(m.get("postcopyTimeMs")) / 1000.0;
        double resume = total - postcopy;
        double sum = 0;
        double ops = 0;
        double p99 = 0;
        int n = 0;
        if (m.get("timeline") instanceof List<?> tl) {
            for (Object o : tl) {
                if (o instanceof Map<?, ?> s) {
                    double t = number(s.get("seconds"));
                    if (t > resume && t <= resume + window) {
                        sum += number(s.get("guestBytesPerSecond"));
                        ops += number(s.get("guestOpsPerSecond"));
                        if (s.get("guestP99Micros") != null) {
                            p99 = Math.max(p99, number(s.get("guestP99Micros")) / 1000.0);
                        }
                        n++;
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "%.1f\t%d\t%.1f\t%.1f\t%.1f%n", n == 0 ? 0 : sum / n / 1048576.0, n, resume,
                n == 0 ? 0 : ops / n, p99);
    }

    /** The same bytes through a plain loopback TCP socket: the baseline of the engine's throughput. */
    private static void socketCopy(String[] a) throws Exception {
        if (a.length != 1 && a.length != 2) {
            usage("socket-copy takes BYTES [DIR]");
        }
        long total = Long.parseLong(a[0]);
        // With DIR: a fresh sparse file mapped in 1 GiB pieces, as a destination's guest memory.
        Path file = a.length == 2 ? Files.createTempFile(Path.of(a[1]), "socket-copy-", ".mem") : null;
        byte[] chunk = new byte[256 * 1024];
        new SplittableRandom(1).nextBytes(chunk);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             java.nio.channels.FileChannel mem = file == null ? null : java.nio.channels.FileChannel.open(file,
                     java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.MappedByteBuffer[] pieces = new java.nio.MappedByteBuffer[file == null ? 0 : (int) ((total + (1L << 30) - 1) >> 30)];
            for (int i = 0; i < pieces.length; i++) {
                long at = (long) i << 30;
                pieces[i] = mem.map(java.nio.channels.FileChannel.MapMode.READ_WRITE, at, Math.min(1L << 30, total - at));
            }
            long[] received = new long[1];
            Thread reader = new Thread(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                    byte[] buf = new byte[256 * 1024];
                    int r;
                    while ((r = in.read(buf)) > 0) {
                        if (pieces.length > 0) {
                            long at = received[0];
                            for (int done = 0; done < r; ) {
                                java.nio.MappedByteBuffer p = pieces[(int) ((at + done) >> 30)];
                                int off = (int) ((at + done) & ((1L << 30) - 1));
                                int n = Math.min(r - done, p.capacity() - off);
                                p.put(off, buf, done, n);
                                done += n;
                            }
                        }
                        received[0] += r;
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, "socket-copy-reader");
            reader.start();
            long t0 = System.nanoTime();
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort()); OutputStream out = s.getOutputStream()) {
                long left = total;
                while (left > 0) {
                    int n = (int) Math.min(chunk.length, left);
                    out.write(chunk, 0, n);
                    left -= n;
                }
            }
            reader.join(600_000);
            long nanos = System.nanoTime() - t0;
            if (received[0] != total) {
                throw new IOException("socket copy received " + received[0] + " of " + total + " bytes");
            }
            System.out.printf(Locale.ROOT, "%d\t%.1f%n", nanos / 1_000_000, total / 1048576.0 / (nanos / 1e9));
        } finally {
            if (file != null) {
                Files.deleteIfExists(file);
            }
        }
    }

    // ---- JSON ----------------------------------------------------------------------------------

    private static Map<?, ?> object(Path file) throws IOException {
        Object v = parseFile(file);
        if (!(v instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(file + " holds no JSON object");
        }
        return m;
    }

    /** The first JSON value in the file, skipping any lines before it that do not start one. */
    static Object parseFile(Path file) throws IOException {
        String s = Files.readString(file, StandardCharsets.UTF_8);
        int i = 0;
        while (i < s.length() && s.charAt(i) != '{' && s.charAt(i) != '[') {
            int nl = s.indexOf('\n', i);
            if (nl < 0) {
                throw new IllegalArgumentException(file + " holds no JSON");
            }
            i = nl + 1;
        }
        if (i >= s.length()) {
            throw new IllegalArgumentException(file + " holds no JSON");
        }
        return new Parser(s, i).value();
    }

    private static String text(Object v) {
        if (v == null) {
            return "-";
        }
        if (v instanceof Double d) {
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString(d.longValue())
                    : java.math.BigDecimal.valueOf(d).toPlainString();
        }
        return v.toString();
    }

    private static double number(Object v) {
        return v instanceof Number n ? n.doubleValue() : 0;
    }

    /** A small recursive-descent JSON reader: objects keep their key order; numbers are doubles. */
    private static final class Parser {
        private final String s;
        private int i;

        Parser(String s, int start) {
            this.s = s;
            this.i = start;
        }

        Object value() {
            skip();
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            char c = s.charAt(i);
            switch (c) {
                case '{':
                    return obj();
                case '[':
                    return arr();
                case '"':
                    return str();
                case 't':
                    return literal("true", Boolean.TRUE);
                case 'f':
                    return literal("false", Boolean.FALSE);
                case 'n':
                    return literal("null", null);
                default:
                    return num();
            }
        }

        private Map<String, Object> obj() {
            Map<String, Object> m = new LinkedHashMap<>();
            i++;
            skip();
            if (peek() == '}') {
                i++;
                return m;
            }
            while (true) {
                skip();
                String k = str();
                skip();
                expect(':');
                m.put(k, value());
                skip();
                char c = next();
                if (c == '}') {
                    return m;
                }
                if (c != ',') {
                    throw error("expected , or }");
                }
            }
        }

        private List<Object> arr() {
            List<Object> l = new ArrayList<>();
            i++;
            skip();
            if (peek() == ']') {
                i++;
                return l;
            }
            while (true) {
                l.add(value());
                skip();
                char c = next();
                if (c == ']') {
                    return l;
                }
                if (c != ',') {
                    throw error("expected , or ]");
                }
            }
        }

        private String str() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') {
                    return b.toString();
                }
                if (c == '\\') {
                    char e = next();
                    switch (e) {
                        case 'n' -> b.append('\n');
                        case 'r' -> b.append('\r');
                        case 't' -> b.append('\t');
                        case 'b' -> b.append('\b');
                        case 'f' -> b.append('\f');
                        case 'u' -> {
                            if (i + 4 > s.length()) {
                                throw error("bad \\u escape");
                            }
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                        }
                        default -> b.append(e);
                    }
                } else {
                    b.append(c);
                }
            }
        }

        private Object num() {
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            if (start == i) {
                throw error("unexpected character '" + s.charAt(i) + "'");
            }
            return Double.parseDouble(s.substring(start, i));
        }

        private Object literal(String word, Object v) {
            if (!s.startsWith(word, i)) {
                throw error("expected " + word);
            }
            i += word.length();
            return v;
        }

        private void expect(char c) {
            if (next() != c) {
                throw error("expected '" + c + "'");
            }
        }

        private char next() {
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            return s.charAt(i++);
        }

        private char peek() {
            return i < s.length() ? s.charAt(i) : 0;
        }

        private void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("bad JSON at offset " + i + ": " + what);
        }
    }
}
