package org.vmlab.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A soak of a running key-value server: a Zipf get/set load that checks every value against its
 * key, memccapable in a loop, and fuzz clients (garbage, oversized keys and values, truncated
 * commands, a client that never reads) side by side for the given minutes; every 30 s the
 * server's tier use is checked against its limits. Prints one line per sample and a verdict.
 *
 * <pre>java ... KvsSoak HOST PORT MINUTES</pre>
 */
public final class KvsSoak {
    private KvsSoak() {
    }

    public static void main(String[] a) throws Exception {
        String host = a[0];
        int port = Integer.parseInt(a[1]);
        double minutes = Double.parseDouble(a[2]);
        long end = System.nanoTime() + (long) (minutes * 60e9);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong fuzzRounds = new AtomicLong();
        AtomicLong capable = new AtomicLong();
        AtomicLong capableFailed = new AtomicLong();
        Thread fuzz = daemon(() -> fuzzLoop(host, port, stop, fuzzRounds));
        Thread caps = daemon(() -> memccapableLoop(host, port, stop, capable, capableFailed));
        fuzz.start();
        caps.start();
        long keys = 200_000;
        KvsLoad.prefill(host, port, (int) keys, 2048);
        long ops = 0;
        long wrong = 0;
        boolean limitsHeld = true;
        while (System.nanoTime() < end) {
            KvsLoad.Result r = KvsLoad.run(host, port, 8, 29, (int) keys, 2048, 0.8, true, false);
            ops += r.ops();
            wrong += r.wrong();
            Map<String, String> tiers = stats(host, port, "tiers");
            StringBuilder use = new StringBuilder();
            for (String tier : new String[]{"dram", "nvm"}) {
                if (tiers.containsKey(tier + ":limit_bytes")) {
                    long used = Long.parseLong(tiers.get(tier + ":used_bytes"));
                    long limit = Long.parseLong(tiers.get(tier + ":limit_bytes"));
                    limitsHeld &= used <= limit;
                    use.append(String.format(" %s %d/%d MiB", tier, used >> 20, limit >> 20));
                }
            }
            Map<String, String> general = stats(host, port, "");
            System.out.printf("%s | conns %s, items %s, evictions %s, demotions %s, promotions %s, buffered %s B |%s"
                    + " | fuzz rounds %d, memccapable %d (%d failed)%n", r.line("soak sample").trim(),
                    general.get("curr_connections"), general.get("curr_items"), general.get("evictions"),
                    general.get("demotions"), general.get("promotions"), general.get("conn_buffer_bytes"), use,
                    fuzzRounds.get(), capable.get(), capableFailed.get());
        }
        stop.set(true);
        fuzz.join(30_000);
        caps.join(120_000);
        boolean alive = stats(host, port, "").containsKey("uptime");
        System.out.printf("soak: %.0f min, %d ops, %d wrong values, limits held: %s, memccapable %d runs, %d failed,"
                + " fuzz rounds %d, server alive: %s%n", minutes, ops, wrong, limitsHeld, capable.get(),
                capableFailed.get(), fuzzRounds.get(), alive);
        System.exit(wrong == 0 && limitsHeld && alive && capableFailed.get() == 0 ? 0 : 1);
    }

    private static Thread daemon(Runnable r) {
        Thread t = new Thread(r);
        t.setDaemon(true);
        return t;
    }

    /** memcached's {@code stats [section]} as a map. */
    static Map<String, String> stats(String host, int port, String section) throws IOException {
        try (Socket s = new Socket(host, port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("stats " + section + "\r\n").trim().concat("\r\n").getBytes(StandardCharsets.US_ASCII));
            Map<String, String> m = new HashMap<>();
            StringBuilder line = new StringBuilder();
            InputStream in = s.getInputStream();
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    String l = line.toString().trim();
                    if (l.equals("END")) {
                        break;
                    }
                    String[] p = l.split(" ", 3);
                    if (p.length == 3) {
                        m.put(p[1], p[2]);
                    }
                    line.setLength(0);
                } else {
                    line.append((char) c);
                }
            }
            return m;
        }
    }

    private static void memccapableLoop(String host, int port, AtomicBoolean stop, AtomicLong runs, AtomicLong failed) {
        while (!stop.get()) {
            try {
                Process p = new ProcessBuilder("memccapable", "-h", host, "-p", Integer.toString(port), "-a")
                        .redirectErrorStream(true).start();
                p.getOutputStream().close();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(60, TimeUnit.SECONDS) || !out.contains("All tests passed")) {
                    failed.incrementAndGet();
                    System.out.println("memccapable failed: " + out.replace('\n', ' '));
                }
                runs.incrementAndGet();
                Thread.sleep(5000);
            } catch (IOException | InterruptedException e) {
                return;
            }
        }
    }

    /** Bad clients, one after another: each must get error lines or be closed, never hang the server. */
    private static void fuzzLoop(String host, int port, AtomicBoolean stop, AtomicLong rounds) {
        Random rnd = new Random(7);
        Socket lazy = null;
        while (!stop.get()) {
            try {
                if (lazy == null || lazy.isClosed()) {
                    lazy = new Socket(host, port); // never reads: its replies pile up until it is not read
                }
                lazy.getOutputStream().write("get k1 k2 k3 k4 k5 k6 k7 k8\r\n".getBytes(StandardCharsets.US_ASCII));
                try (Socket s = new Socket(host, port)) {
                    s.setSoTimeout(5000);
                    OutputStream out = s.getOutputStream();
                    switch (rnd.nextInt(5)) {
                        case 0 -> {
                            byte[] junk = new byte[1 + rnd.nextInt(8192)];
                            rnd.nextBytes(junk);
                            out.write(junk);
                        }
                        case 1 -> out.write(("get " + "k".repeat(300) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        case 2 -> out.write("set big 0 0 5000000\r\n".getBytes(StandardCharsets.US_ASCII));
                        case 3 -> out.write("set trunc 0 0 100\r\nabc".getBytes(StandardCharsets.US_ASCII));
                        default -> out.write("x".repeat(20_000).getBytes(StandardCharsets.US_ASCII));
                    }
                    out.flush();
                    s.getInputStream().read(new byte[256]); // an error line, or the close
                } catch (IOException e) {
                    // closed or timed out on a client the server gave up on: fine
                }
                rounds.incrementAndGet();
                Thread.sleep(20);
            } catch (IOException | InterruptedException e) {
                lazy = null;
            }
        }
    }
}
