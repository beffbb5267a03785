package org.vmlab.engines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.DataRate;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.migration.LinkSpec;
import org.vmlab.api.migration.MigrationListener;
import org.vmlab.api.migration.MigrationPlan;
import org.vmlab.api.migration.MigrationReport;
import org.vmlab.api.migration.MigrationStatus;
import org.vmlab.api.migration.Verification;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.emu.EmuBackend;
import org.vmlab.emu.EmuSettings;
import org.vmlab.ordering.SequentialOrdering;
import org.vmlab.workloads.MemoryWorkload;

/** Migrations with LZ4 page compression and over TLS, between a plain and a TLS receiver on loopback. */
@Timeout(120)
class SecureTransferTest {
    static final long MIB = 1 << 20;

    @TempDir
    static Path dir;
    static EmuBackend backend;
    static MigrationReceiver plain;
    static MigrationReceiver secure;
    static DefaultMigrationService plainService;
    static DefaultMigrationService tlsService;
    static Path keystore;
    static Path passwordFile;
    static int counter;

    @BeforeAll
    static void setUp() throws Exception {
        backend = new EmuBackend(EmuSettings.forTests(dir));
        backend.registerWorkload("memory", new MemoryWorkload());
        Path secret = dir.resolve("secret/transport.secret");
        MigrationReceiver.Settings base = MigrationReceiver.Settings.loopback(secret).withTimeout(Duration.ofSeconds(3));
        plain = new MigrationReceiver(name -> "emu".equals(name) ? backend : null, base);
        byte[] raw = new byte[16];
        new SecureRandom().nextBytes(raw);
        String password = HexFormat.of().formatHex(raw);
        passwordFile = ownerOnly(dir.resolve("transport.p12.password"), password);
        keystore = dir.resolve("transport.p12");
        keytool("-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=vmlab-node",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", password,
                "-keypass", password);
        secure = new MigrationReceiver(name -> "emu".equals(name) ? backend : null, base.withTls(keystore, passwordFile));
        plainService = service(new PrecopyEngine(plain));
        tlsService = service(new PrecopyEngine(secure));
        tlsService.addEngine("hybrid", 40, new HybridEngine(secure));
    }

    static Path ownerOnly(Path file, String content) throws IOException {
        Files.writeString(Files.createFile(file, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------"))), content + "\n");
        return file;
    }

    static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keytool finished");
        assertEquals(0, p.exitValue(), "keytool: " + out);
    }

    static DefaultMigrationService service(PrecopyEngine engine) {
        DefaultMigrationService s = new DefaultMigrationService(backend.directory());
        s.addEngine("precopy", 100, engine);
        s.addOrdering("sequential", 100, new SequentialOrdering());
        return s;
    }

    @AfterAll
    static void tearDown() {
        secure.close();
        plain.close();
        backend.close();
    }

    @AfterEach
    void cleanVms() throws Exception {
        long deadline = System.currentTimeMillis() + 5000;
        while (System.currentTimeMillis() < deadline && (plain.activeSessions() + secure.activeSessions() > 0
                || backend.vms().stream().anyMatch(v -> v.state() == VmState.MIGRATING))) {
            Thread.sleep(20);
        }
        for (Vm vm : backend.vms()) {
            vm.destroy();
        }
    }

    static MigrationReport run(DefaultMigrationService service, MigrationPlan plan) throws Exception {
        return service.start(plan, MigrationListener.NONE).result().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    static Vm memoryVm(long memory, String workingSet) {
        return backend.create(VmSpec.of("s" + (++counter), "emu", memory).withVcpus(1)
                .withWorkload("memory", Map.of("rate", "20M", "working-set", workingSet)));
    }

    /** Every page different but text-like, as a guest's page cache of log files might be. */
    static Vm textVm(long memory) {
        Vm vm = backend.create(VmSpec.of("t" + (++counter), "emu", memory));
        GuestMemory m = vm.memory();
        ByteBuffer page = ByteBuffer.allocate(Pages.SIZE);
        for (long pfn = 0; pfn < m.pageCount(); pfn++) {
            page.clear();
            while (page.hasRemaining()) {
                byte[] line = ("page " + pfn + " line " + page.position() + " GET /index.html 200\n")
                        .getBytes(StandardCharsets.US_ASCII);
                page.put(line, 0, Math.min(line.length, page.remaining()));
            }
            page.flip();
            m.writePage(pfn, page);
        }
        return vm;
    }

    @Test
    void lz4CompressionCutsTheBytesOfCompressiblePagesAndVerifies() throws Exception {
        Vm a = textVm(16 * MIB);
        MigrationReport raw = run(plainService, MigrationPlan.builder(a.id()).verify(true).build());
        assertEquals(MigrationStatus.COMPLETED, raw.status(), raw.failureReason());
        Vm b = textVm(16 * MIB);
        MigrationReport lz4 = run(plainService, MigrationPlan.builder(b.id()).streams(2).compress(true).verify(true).build());
        assertEquals(MigrationStatus.COMPLETED, lz4.status(), lz4.failureReason());
        assertEquals(Verification.PASSED, lz4.verified());
        assertTrue(raw.bytesNetwork() > 16 * MIB, "uncompressed: " + raw.bytesNetwork());
        assertTrue(lz4.bytesNetwork() < raw.bytesNetwork() / 3, "LZ4 " + lz4.bytesNetwork() + " vs raw " + raw.bytesNetwork());
        System.out.printf("text pages, 16 MiB: %d bytes raw (%d ms), %d bytes with LZ4 (%d ms), ratio %.3f%n",
                raw.bytesNetwork(), raw.totalTimeMs(), lz4.bytesNetwork(), lz4.totalTimeMs(),
                lz4.bytesNetwork() / (double) raw.bytesNetwork());
    }

    @Test
    void precopyOverTlsWithCompressionVerifies() throws Exception {
        Vm src = memoryVm(64 * MIB, "16M");
        Thread.sleep(300);
        MigrationReport r = run(tlsService, MigrationPlan.builder(src.id()).streams(3).compress(true).verify(true)
                .network(LinkSpec.of(DataRate.parse("1g"))).build());
        assertEquals(MigrationStatus.COMPLETED, r.status(), r.failureReason());
        assertEquals(Verification.PASSED, r.verified());
        assertEquals(VmState.STOPPED, src.state());
        Vm dst = backend.vms().stream().filter(v -> v.spec().name().equals(src.spec().name())).findFirst().orElseThrow();
        assertEquals(VmState.RUNNING, dst.state());
        System.out.printf("precopy over TLS, 64 MiB @20M, 3 streams + LZ4: total %d ms, downtime %d ms, %d bytes%n",
                r.totalTimeMs(), r.downtimeMs(), r.bytesNetwork());
    }

    @Test
    void hybridOverTlsServesFaultsAndVerifies() throws Exception {
        // precopy rounds, then postcopy with the destination's page requests, all inside TLS
        Vm src = memoryVm(32 * MIB, "16M");
        Thread.sleep(300);
        MigrationReport r = run(tlsService, MigrationPlan.builder(src.id()).engine("hybrid").streams(2).compress(true)
                .verify(true).network(LinkSpec.of(DataRate.parse("1g"))).build());
        assertEquals(MigrationStatus.COMPLETED, r.status(), r.failureReason());
        assertEquals("hybrid", r.engine());
        assertEquals(Verification.PASSED, r.verified());
        System.out.printf("hybrid over TLS, 32 MiB @20M, 2 streams + LZ4: total %d ms, downtime %d ms, %d pages requested, %d bytes%n",
                r.totalTimeMs(), r.downtimeMs(), r.pagesRequested(), r.bytesNetwork());
    }

    @Test
    void plainSourceAtTlsReceiverFailsCleanlyAndTheReceiverKeepsServing() throws Exception {
        int before = secure.refusedConnections();
        Vm src = memoryVm(16 * MIB, "8M");
        MigrationReport r = run(plainService, MigrationPlan.builder(src.id())
                .destination(secure.localEndpoint()).build());
        assertEquals(MigrationStatus.FAILED, r.status());
        assertTrue(r.failureReason().contains("TLS"), r.failureReason());
        assertEquals(VmState.RUNNING, src.state());
        long deadline = System.currentTimeMillis() + 3000;
        while (secure.refusedConnections() == before && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(secure.refusedConnections() > before, "the TLS receiver counted the refusal");
        MigrationReport ok = run(tlsService, MigrationPlan.builder(src.id()).verify(true).build());
        assertEquals(MigrationStatus.COMPLETED, ok.status(), ok.failureReason());
    }

    @Test
    void tlsSourceAtPlainReceiverFailsCleanlyAndTheReceiverKeepsServing() throws Exception {
        Vm src = memoryVm(16 * MIB, "8M");
        MigrationReport r = run(tlsService, MigrationPlan.builder(src.id())
                .destination(new Endpoint(plain.localEndpoint().host(), plain.localEndpoint().port())).build());
        assertEquals(MigrationStatus.FAILED, r.status());
        assertTrue(r.failureReason().contains("TLS handshake"), r.failureReason());
        assertEquals(VmState.RUNNING, src.state());
        MigrationReport ok = run(plainService, MigrationPlan.builder(src.id()).verify(true).build());
        assertEquals(MigrationStatus.COMPLETED, ok.status(), ok.failureReason());
    }

    @Test
    void tlsReceiverRefusesToStartWithAnOpenPasswordFile() throws Exception {
        Path open = dir.resolve("open.password");
        Files.writeString(open, "whatever\n");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        MigrationReceiver.Settings s = MigrationReceiver.Settings.loopback(dir.resolve("secret/transport.secret"))
                .withTls(keystore, open);
        IOException e = assertThrows(IOException.class,
                () -> new MigrationReceiver(name -> null, s).close());
        assertTrue(e.getMessage().contains("readable only by its owner"), e.getMessage());
        IllegalArgumentException half = assertThrows(IllegalArgumentException.class, () ->
                new MigrationReceiver.Settings("127.0.0.1", 0, dir.resolve("x"), Duration.ofSeconds(1), keystore, null));
        assertTrue(half.getMessage().contains("both"));
    }
}
