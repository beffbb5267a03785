package org.vmlab.engines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.api.DataRate;
import org.vmlab.api.VmlabException;
import org.vmlab.api.migration.NativeTunnel;
import org.vmlab.api.vm.BackendInfo;
import org.vmlab.api.vm.NativeIncoming;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmBackend;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.emu.EmuBackend;
import org.vmlab.emu.EmuSettings;

/**
 * The tunnel and the receiver's native sessions without QEMU: a backend whose "hypervisor" is a
 * loopback socket that keeps what it reads, and a plain socket as the source hypervisor.
 */
class NativeTunnelServiceTest {
    @TempDir
    Path dir;

    /** An emu backend whose native incoming VMs read the stream into memory. */
    static final class StreamBackend implements VmBackend {
        final EmuBackend emu;
        final CompletableFuture<byte[]> received = new CompletableFuture<>();
        volatile boolean closed;

        StreamBackend(EmuBackend emu) {
            this.emu = emu;
        }

        @Override
        public Optional<NativeIncoming> prepareNativeIncoming(VmSpec spec, Map<String, String> settings) {
            if (!settings.equals(Map.of("capability.xbzrle", "true"))) {
                throw new VmlabException("unexpected settings " + settings);
            }
            Vm vm = emu.prepareIncoming(spec);
            ServerSocket ss;
            try {
                ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new VmlabException(e.getMessage());
            }
            Thread t = new Thread(() -> {
                try (ss; Socket s = ss.accept(); InputStream in = s.getInputStream()) {
                    received.complete(in.readAllBytes());
                } catch (IOException e) {
                    received.completeExceptionally(e);
                }
            });
            t.setDaemon(true);
            t.start();
            return Optional.of(new NativeIncoming() {
                @Override
                public Vm vm() {
                    return vm;
                }

                @Override
                public int port() {
                    return ss.getLocalPort();
                }

                @Override
                public void awaitLoaded(Duration timeout) {
                    received.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).join();
                }

                @Override
                public void commit() {
                    vm.resume();
                    vm.endMigration();
                }

                @Override
                public void close() {
                    closed = true;
                    vm.destroy();
                }
            });
        }

        @Override
        public String name() {
            return "emu";
        }

        @Override
        public Vm create(VmSpec spec) {
            return emu.create(spec);
        }

        @Override
        public Vm prepareIncoming(VmSpec spec) {
            return emu.prepareIncoming(spec);
        }

        @Override
        public Vm restore(Path snapshotFile) {
            return emu.restore(snapshotFile);
        }

        @Override
        public List<Vm> vms() {
            return emu.vms();
        }

        @Override
        public Optional<Vm> find(String id) {
            return emu.find(id);
        }

        @Override
        public BackendInfo info() {
            return emu.info();
        }
    }

    /** Two receivers on loopback sharing one secret: the source node's, whose tunnel is tested, and the destination's. */
    private record Nodes(MigrationReceiver src, MigrationReceiver dst) implements AutoCloseable {
        static Nodes of(Path secret, VmBackend destination) throws IOException {
            MigrationReceiver src = new MigrationReceiver(n -> null, MigrationReceiver.Settings.loopback(secret));
            try {
                return new Nodes(src, new MigrationReceiver(n -> destination.name().equals(n) ? destination : null,
                        MigrationReceiver.Settings.loopback(secret)));
            } catch (IOException | RuntimeException e) {
                src.close();
                throw e;
            }
        }

        @Override
        public void close() {
            dst.close();
            src.close();
        }
    }

    private static void hypervisor(int port, byte[] stream) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port); OutputStream out = s.getOutputStream()) {
            out.write(stream);
        }
    }

    @Test
    @Timeout(60)
    void carriesTheStreamVerifiesAndCommits() throws Exception {
        try (EmuBackend emu = new EmuBackend(EmuSettings.forTests(dir.resolve("dst")))) {
            StreamBackend backend = new StreamBackend(emu);
            try (Nodes nodes = Nodes.of(dir.resolve("secret"), backend)) {
                MigrationReceiver src = nodes.src();
                MigrationReceiver dst = nodes.dst();
                byte[] stream = new byte[3 * NativeTunnelService.CHUNK + 1234];
                new Random(7).nextBytes(stream);
                long t0 = System.nanoTime();
                try (NativeTunnel t = new NativeTunnelService(src).open(dst.localEndpoint(),
                        VmSpec.of("n", "emu", 4L << 20), Map.of("capability.xbzrle", "true"), DataRate.parse("8m"))) {
                    assertEquals("n", t.remoteVmId());
                    hypervisor(t.localPort(), stream);
                    assertEquals("n", t.awaitLoaded(Duration.ofSeconds(20)));
                    // 8 Mbit/s = 1 MB/s: 0.8 MB take about 0.7 s beyond the 100 ms burst.
                    assertTrue(System.nanoTime() - t0 > 400_000_000L, "rate limited");
                    assertTrue(t.bytesSent() > stream.length, "framing counted: " + t.bytesSent());
                    long[] hashes = t.remotePageHashes();
                    assertEquals(1024, hashes.length);
                    assertEquals(IncomingSession.pageHashes(emu.find("n").orElseThrow().memory())[5], hashes[5]);
                    t.commit();
                }
                assertArrayEquals(stream, backend.received.get());
                assertEquals(VmState.RUNNING, emu.find("n").orElseThrow().state());
                // The destination acknowledges the commit before its session thread ends.
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (dst.activeSessions() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(0, dst.activeSessions());
            }
        }
    }

    @Test
    @Timeout(60)
    void closingBeforeCommitDiscardsTheDestination() throws Exception {
        try (EmuBackend emu = new EmuBackend(EmuSettings.forTests(dir.resolve("dst")))) {
            StreamBackend backend = new StreamBackend(emu);
            try (Nodes nodes = Nodes.of(dir.resolve("secret"), backend)) {
                MigrationReceiver src = nodes.src();
                MigrationReceiver dst = nodes.dst();
                NativeTunnel t = new NativeTunnelService(src).open(dst.localEndpoint(),
                        VmSpec.of("n", "emu", 4L << 20), Map.of("capability.xbzrle", "true"), DataRate.UNLIMITED);
                hypervisor(t.localPort(), new byte[1000]);
                t.awaitLoaded(Duration.ofSeconds(20));
                t.close();
                long end = System.nanoTime() + 10_000_000_000L;
                while (System.nanoTime() < end && (!backend.closed || dst.activeSessions() > 0)) {
                    Thread.sleep(20);
                }
                assertTrue(backend.closed, "the destination VM was discarded");
                assertEquals(List.of(), emu.vms());
                assertEquals(0, dst.activeSessions());
                assertThrows(VmlabException.class, t::commit);
            }
        }
    }

    @Test
    @Timeout(60)
    void aBackendWithoutNativeMigrationRefusesInOneSentence() throws Exception {
        try (EmuBackend emu = new EmuBackend(EmuSettings.forTests(dir.resolve("dst")))) {
            try (Nodes nodes = Nodes.of(dir.resolve("secret"), emu)) {
                MigrationReceiver dst = nodes.dst();
                VmlabException e = assertThrows(VmlabException.class, () -> new NativeTunnelService(nodes.src())
                        .open(dst.localEndpoint(), VmSpec.of("n", "emu", 4L << 20), Map.of(), DataRate.UNLIMITED));
                assertTrue(e.getMessage().contains("cannot receive its hypervisor's own migration"), e.getMessage());
                assertEquals(List.of(), emu.vms());
                assertEquals(0, dst.activeSessions());
            }
        }
    }
}
