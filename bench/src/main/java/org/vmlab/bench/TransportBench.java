package org.vmlab.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

import org.vmlab.api.DataRate;
import org.vmlab.api.memory.DirtyLog;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.migration.RoundStats;
import org.vmlab.api.migration.TimelineSample;
import org.vmlab.api.migration.Verification;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.emu.EmuBackend;
import org.vmlab.emu.EmuSettings;
import org.vmlab.qemu.QemuGuestMemory;
import org.vmlab.transport.Frame;
import org.vmlab.transport.FrameChannel;
import org.vmlab.transport.Lz4Block;
import org.vmlab.transport.RateLimiter;
import org.vmlab.transport.SharedSecret;
import org.vmlab.transport.TlsContext;

/**
 * The data plane's bench, each figure beside a baseline from the same run:
 * <ol>
 * <li>LZ4 page compression (ratio, MB/s each way) on a compressible page mix, against deflate at
 * BEST_SPEED (protocol version 1's codec) and a plain copy;</li>
 * <li>loopback throughput of an authenticated link over TLS 1.3 against the same link in plain TCP;</li>
 * <li>rate-limit accuracy at 200 Mbit/s over two streams, plain and TLS, against the target;</li>
 * <li>the page hash (XXH64) of every page of a mapped emu guest, against copying the same pages out,
 * and the qemu backend's content dirty-log sync (every page hashed);</li>
 * <li>JSON: a migration report as {@code --json} writes it, a QMP reply read and a QMP command
 * written, per operation.</li>
 * </ol>
 */
public final class TransportBench {
    static final int PAGE = 4096;
    static final SharedSecret SECRET = SharedSecret.of("bench-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8));
    static final Duration T = Duration.ofSeconds(10);
    /** Results the timed loops fold in here, so the JIT cannot drop the work. */
    static volatile long blackhole;

    private TransportBench() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = List.of(args).contains("--quick");
        compression(quick ? 2048 : 8192, quick ? 3 : 10);
        pageHash(quick ? 64 : 256, quick ? 3 : 10);
        contentSync(quick ? 128 : 512, quick ? 10 : 30);
        json(quick ? 2_000 : 20_000, quick ? 3 : 10);
        Path dir = Files.createTempDirectory("vmlab-transport-bench");
        try {
            TlsContext tls = keystore(dir);
            long bytes = (quick ? 128L : 512L) << 20;
            double plain = throughput(null, bytes);
            double secure = throughput(tls, bytes);
            System.out.printf("loopback, 1 stream, unlimited: TLS 1.3 %.0f MiB/s, plain %.0f MiB/s (TLS/plain %.2f)%n",
                    secure / (1 << 20), plain / (1 << 20), secure / plain);
            for (TlsContext t : new TlsContext[]{null, tls}) {
                rateLimit(t, 200_000_000L, (quick ? 24L : 64L) << 20);
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Non-zero pages as a guest holds them: text, counters, sparse structures, repeats, random data. */
    static List<byte[]> pageMix(int n) {
        Random r = new Random(11);
        String[] words = {"the ", "guest ", "page ", "cache ", "memory ", "index ", "row ", "value\n", "GET /a HTTP/1.1\r\n"};
        List<byte[]> pages = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] p = new byte[PAGE];
            ByteBuffer b = ByteBuffer.wrap(p);
            switch (i % 5) {
                case 0 -> {
                    for (int j = 0; j < PAGE; ) {
                        byte[] w = words[r.nextInt(words.length)].getBytes(StandardCharsets.US_ASCII);
                        for (int k = 0; k < w.length && j < PAGE; k++) {
                            p[j++] = w[k];
                        }
                    }
                }
                case 1 -> {
                    long base = r.nextInt(1 << 20);
                    while (b.remaining() >= 8) {
                        b.putLong(base + r.nextInt(16));
                    }
                }
                case 2 -> {
                    for (int j = 0; j < 24; j++) {
                        b.putLong(r.nextInt(PAGE / 8) * 8, r.nextLong());
                    }
                }
                case 3 -> {
                    byte[] unit = new byte[64];
                    r.nextBytes(unit);
                    for (int j = 0; j < PAGE; j += 64) {
                        System.arraycopy(unit, 0, p, j, 64);
                        p[j] = (byte) j;
                    }
                }
                default -> r.nextBytes(p);
            }
            pages.add(p);
        }
        return pages;
    }

    static void compression(int n, int reps) throws Exception {
        List<byte[]> pages = pageMix(n);
        long in = (long) n * PAGE;
        byte[] out = new byte[Lz4Block.maxCompressedLength(PAGE)];
        byte[] back = new byte[PAGE];
        Lz4Block lz4 = new Lz4Block();
        byte[][] packed = new byte[n][];
        long lz4Out = 0;
        for (int i = 0; i < n; i++) {
            int k = lz4.compress(pages.get(i), 0, PAGE, out, 0, out.length);
            packed[i] = java.util.Arrays.copyOf(out, k);
            lz4Out += k;
        }
        double cBest = 0;
        double dBest = 0;
        for (int rep = 0; rep < reps; rep++) {
            long t0 = System.nanoTime();
            for (byte[] p : pages) {
                lz4.compress(p, 0, PAGE, out, 0, out.length);
            }
            cBest = Math.max(cBest, in / ((System.nanoTime() - t0) / 1e9));
            t0 = System.nanoTime();
            for (byte[] p : packed) {
                Lz4Block.decompress(p, 0, p.length, back, 0, PAGE);
            }
            dBest = Math.max(dBest, in / ((System.nanoTime() - t0) / 1e9));
        }
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        Inflater inflater = new Inflater();
        byte[][] deflated = new byte[n][];
        long defOut = 0;
        double dcBest = 0;
        double ddBest = 0;
        for (int rep = 0; rep < reps; rep++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                deflater.reset();
                deflater.setInput(pages.get(i));
                deflater.finish();
                int k = deflater.deflate(out);
                if (rep == 0) {
                    deflated[i] = java.util.Arrays.copyOf(out, k);
                    defOut += k;
                }
            }
            dcBest = Math.max(dcBest, in / ((System.nanoTime() - t0) / 1e9));
            t0 = System.nanoTime();
            for (byte[] d : deflated) {
                inflater.reset();
                inflater.setInput(d);
                inflater.inflate(back);
            }
            ddBest = Math.max(ddBest, in / ((System.nanoTime() - t0) / 1e9));
        }
        deflater.end();
        inflater.end();
        double copyBest = 0;
        for (int rep = 0; rep < reps; rep++) {
            long t0 = System.nanoTime();
            for (byte[] p : pages) {
                System.arraycopy(p, 0, back, 0, PAGE);
            }
            copyBest = Math.max(copyBest, in / ((System.nanoTime() - t0) / 1e9));
        }
        System.out.printf("page mix of %d pages (1/5 each text, counters, sparse, repeated, random):%n", n);
        System.out.printf("  LZ4     ratio %.3f, compress %.0f MB/s, decompress %.0f MB/s%n",
                lz4Out / (double) in, cBest / 1e6, dBest / 1e6);
        System.out.printf("  deflate ratio %.3f, compress %.0f MB/s, decompress %.0f MB/s (BEST_SPEED, protocol 1)%n",
                defOut / (double) in, dcBest / 1e6, ddBest / 1e6);
        System.out.printf("  copy    %.0f MB/s; LZ4/deflate speed: compress %.1fx, decompress %.1fx%n",
                copyBest / 1e6, cBest / dcBest, dBest / ddBest);
    }

    /**
     * GB/s of {@link GuestMemory#pageHash} over every page of a {@code mib} MiB emu guest (guest RAM
     * is a mapped file, as for QEMU guests), filled with pseudo-random pages; the baseline copies
     * the same pages out. Best of {@code reps} passes.
     */
    static void pageHash(int mib, int reps) throws Exception {
        Path dir = Files.createTempDirectory("vmlab-hash-bench");
        try (EmuBackend backend = new EmuBackend(EmuSettings.forTests(dir))) {
            Vm vm = backend.create(VmSpec.of("hash-bench", "emu", (long) mib << 20));
            GuestMemory memory = vm.memory();
            long pages = memory.pageCount();
            ByteBuffer page = ByteBuffer.allocate(PAGE);
            Random r = new Random(5);
            for (long pfn = 0; pfn < pages; pfn++) {
                r.nextBytes(page.array());
                memory.writePage(pfn, page.clear());
            }
            double hashBest = 0;
            double readBest = 0;
            long sink = 0;
            for (int rep = 0; rep < reps; rep++) {
                long t0 = System.nanoTime();
                for (long pfn = 0; pfn < pages; pfn++) {
                    sink += memory.pageHash(pfn);
                }
                hashBest = Math.max(hashBest, pages * PAGE / ((System.nanoTime() - t0) / 1e9));
                t0 = System.nanoTime();
                for (long pfn = 0; pfn < pages; pfn++) {
                    memory.read(pfn, 1, page.clear());
                    sink ^= page.get((int) pfn & (PAGE - 1));
                }
                readBest = Math.max(readBest, pages * PAGE / ((System.nanoTime() - t0) / 1e9));
            }
            blackhole = sink;
            vm.destroy();
            System.out.printf("page hash (XXH64) of a %d MiB mapped guest: %.2f GB/s, %.0f ns a page; copying them out %.2f GB/s%n",
                    mib, hashBest / 1e9, PAGE / hashBest * 1e9, readBest / 1e9);
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * Milliseconds per sync of the qemu backend's content dirty log over a {@code mib} MiB RAM file
     * in /dev/shm (each sync hashes every page, on every processor: the cost that bounds precopy
     * downtime on QEMU guests); median of {@code syncs} syncs after as many warm-up syncs.
     */
    static void contentSync(int mib, int syncs) throws Exception {
        Path file = Files.createTempFile(Path.of("/dev/shm"), "vmlab-sync-bench", ".ram");
        try {
            long size = (long) mib << 20;
            try (var raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(size);
            }
            QemuGuestMemory memory = QemuGuestMemory.map("sync-bench", file, size);
            ByteBuffer page = ByteBuffer.allocate(PAGE);
            Random r = new Random(6);
            for (long pfn = 0; pfn < memory.pageCount(); pfn++) {
                r.nextBytes(page.array());
                memory.writePage(pfn, page.clear());
            }
            DirtyLog log = memory.dirtyLog();
            log.start();
            double[] ms = new double[syncs];
            for (int i = -syncs; i < syncs; i++) {
                memory.putLong((long) (i & 0xFFFF) * 97 * PAGE % size, i);
                long t0 = System.nanoTime();
                log.sync();
                if (i >= 0) {
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                }
            }
            log.stop();
            java.util.Arrays.sort(ms);
            double median = ms[syncs / 2];
            System.out.printf("content dirty-log sync of a %d MiB QEMU RAM file: %.1f ms (%.2f GB/s, %d processors), median of %d%n",
                    mib, median, size / median / 1e6, Runtime.getRuntime().availableProcessors(), syncs);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Microseconds per operation of the shell's and the QMP client's JSON, best of {@code reps} runs of {@code n}. */
    static void json(int n, int reps) {
        List<RoundStats> rounds = new ArrayList<>();
        List<TimelineSample> timeline = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            rounds.add(new RoundStats(i, 65_536L >> i, 10L * i, 17, (65_536L >> i) * 4_109, 900 - 100L * i, 4_096L >> i));
        }
        for (int i = 0; i < 30; i++) {
            timeline.add(new TimelineSample(i, 125_000_000L * i, 0, 12_345.5 + i, 1.0e6 / (i + 1), 4.25e7 + i));
        }
        MigrationReport report = new MigrationReport("m-1f2e3d", MigrationStatus.COMPLETED, "precopy", "update-history",
                "web1", "127.0.0.1:7301", 4_252, 12, 72, 432_786_432, 0, 8, 130_000, 3_000, 17_000,
                Verification.PASSED, null, rounds, timeline);
        String reply = "{\"return\": {\"expected-downtime\": 300, \"status\": \"active\", \"setup-time\": 3, "
                + "\"total-time\": 1207, \"ram\": {\"total\": 545267712, \"postcopy-requests\": 0, "
                + "\"dirty-sync-count\": 2, \"multifd-bytes\": 0, \"pages-per-second\": 29146, \"downtime-bytes\": 0, "
                + "\"page-size\": 4096, \"remaining\": 300302336, \"postcopy-bytes\": 0, \"mbps\": 955.17, "
                + "\"transferred\": 142869521, \"dirty-sync-missed-zero-copy\": 0, \"precopy-bytes\": 142869521, "
                + "\"duplicate\": 26452, \"dirty-pages-rate\": 2047, \"skipped\": 0, \"normal-bytes\": 141602816, "
                + "\"normal\": 34571}}, \"id\": 17}";
        Map<String, Object> command = new LinkedHashMap<>();
        command.put("execute", "migrate-set-parameters");
        command.put("arguments", Map.of("max-bandwidth", 125_000_000L, "downtime-limit", 300));
        command.put("id", 18L);
        double writeReport = perOp(n, reps, () -> org.vmlab.shell.support.Json.write(report).length());
        double readReply = perOp(n, reps, () -> org.vmlab.qemu.Json.parseObject(reply).size());
        double writeCommand = perOp(n, reps, () -> org.vmlab.qemu.Json.write(command).length());
        System.out.printf("JSON: report --json (%d bytes) %.2f us, QMP reply read (%d bytes) %.2f us, QMP command written %.2f us%n",
                org.vmlab.shell.support.Json.write(report).length(), writeReport, reply.length(), readReply, writeCommand);
    }

    static double perOp(int n, int reps, java.util.function.IntSupplier op) {
        double best = Double.MAX_VALUE;
        long sink = 0;
        for (int rep = 0; rep < reps; rep++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sink += op.getAsInt();
            }
            best = Math.min(best, (System.nanoTime() - t0) / 1e3 / n);
        }
        blackhole = sink;
        return best;
    }

    /** A keystore made by keytool, loaded as both ends' TLS context. */
    static TlsContext keystore(Path dir) throws Exception {
        byte[] raw = new byte[16];
        new SecureRandom().nextBytes(raw);
        String pw = HexFormat.of().formatHex(raw);
        Path pwFile = Files.createFile(dir.resolve("bench.password"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(pwFile, pw);
        Path ks = dir.resolve("bench.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "bench", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=bench",
                "-validity", "1", "-storetype", "PKCS12", "-keystore", ks.toString(), "-storepass", pw,
                "-keypass", pw).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed: " + out);
        }
        return TlsContext.load(ks, pwFile);
    }

    /** A receiver that drains frames on every connection until the bench closes it. */
    static final class Sink implements AutoCloseable {
        final ServerSocket server;

        Sink(TlsContext tls) throws IOException {
            server = FrameChannel.serverSocket();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        Thread h = new Thread(() -> {
                            try (FrameChannel ch = FrameChannel.accept(s, SECRET, T, tls)) {
                                while (true) {
                                    Frame f = ch.receive();
                                    if (f.type() == 1) {
                                        ch.send(1);
                                    }
                                }
                            } catch (IOException e) {
                                // closed by the bench
                            }
                        });
                        h.setDaemon(true);
                        h.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
        }

        InetSocketAddress address() {
            return new InetSocketAddress("127.0.0.1", server.getLocalPort());
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /** Bytes per second through one unlimited stream, counted until the receiver acknowledged them. */
    static double throughput(TlsContext tls, long total) throws Exception {
        byte[] chunk = new byte[256 * 1024];
        new Random(1).nextBytes(chunk);
        try (Sink sink = new Sink(tls); FrameChannel ch = FrameChannel.connect(sink.address(), SECRET, T, null, tls)) {
            for (int i = 0; i < 64; i++) {
                ch.send(2, chunk); // warm-up
            }
            long t0 = System.nanoTime();
            for (long sent = 0; sent < total; sent += chunk.length) {
                ch.send(2, chunk);
            }
            ch.send(1);
            ch.receive();
            return total / ((System.nanoTime() - t0) / 1e9);
        }
    }

    static void rateLimit(TlsContext tls, long bits, long total) throws Exception {
        RateLimiter limiter = new RateLimiter(new DataRate(bits));
        byte[] chunk = new byte[256 * 1024];
        try (Sink sink = new Sink(tls);
             FrameChannel a = FrameChannel.connect(sink.address(), SECRET, T, limiter, tls);
             FrameChannel b = FrameChannel.connect(sink.address(), SECRET, T, limiter, tls)) {
            long before = a.bytesSent() + b.bytesSent();
            long t0 = System.nanoTime();
            Thread tb = new Thread(() -> {
                try {
                    for (long sent = 0; sent < total / 2; sent += chunk.length) {
                        b.send(2, chunk);
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            tb.start();
            for (long sent = 0; sent < total / 2; sent += chunk.length) {
                a.send(2, chunk);
            }
            tb.join();
            double seconds = (System.nanoTime() - t0) / 1e9;
            long bytes = a.bytesSent() + b.bytesSent() - before;
            double achieved = Math.max(0, bytes - limiter.burstBytes()) * 8.0 / seconds;
            System.out.printf("rate limit %s, 2 streams: %.2f Mbit/s on the wire for a %.2f Mbit/s limit (%+.2f%%), %d bytes in %.2f s%n",
                    tls == null ? "plain" : "TLS  ", achieved / 1e6, bits / 1e6, (achieved / bits - 1) * 100, bytes, seconds);
        }
    }
}
