package org.vmlab.engines;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.BitSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.DataRate;
import org.vmlab.api.VmlabException;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.migration.NativeTunnel;
import org.vmlab.api.migration.NativeTunnels;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.transport.Frame;
import org.vmlab.transport.RateLimiter;
import org.vmlab.transport.TransportException;

/**
 * The source side of native tunnels: a loopback port for the source hypervisor, and one
 * connection to the destination node's receiver, authenticated (and TLS if this node uses it)
 * like every vmlab migration link and rate limited by the plan's link rate.
 */
@Component(service = NativeTunnels.class)
public final class NativeTunnelService implements NativeTunnels {
    private static final Logger LOG = LoggerFactory.getLogger(NativeTunnelService.class);
    /** How long the tunnel's port waits for the hypervisor to connect once opened. */
    static final Duration ACCEPT_TIMEOUT = Duration.ofSeconds(60);
    /** Bytes of hypervisor stream per STREAM frame. */
    static final int CHUNK = 256 * 1024;
    /** Longest wait for hashes or the commit acknowledgement; PINGs keep the link itself alive. */
    static final Duration REPLY_TIMEOUT = Duration.ofSeconds(120);

    private final MigrationReceiver receiver;

    /** @param receiver this node's receiver: the secret, TLS and timeout of outgoing links */
    @Activate
    public NativeTunnelService(@Reference MigrationReceiver receiver) {
        this.receiver = Objects.requireNonNull(receiver, "receiver");
    }

    @Override
    public NativeTunnel open(Endpoint destination, VmSpec spec, Map<String, String> hypervisorSettings, DataRate rate) {
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(hypervisorSettings, "hypervisorSettings");
        MigrationChannel ch;
        try {
            ch = new MigrationChannel(receiver.connect(destination,
                    new RateLimiter(rate == null ? DataRate.UNLIMITED : rate)));
        } catch (IOException e) {
            throw new VmlabException("cannot open a migration tunnel to " + destination + ": " + e.getMessage(), e);
        }
        try {
            ch.send(new Messages.NativeOpen(UUID.randomUUID().toString(), spec, hypervisorSettings));
            Frame answer = ch.receive(Messages.SMALL_FRAME);
            while (answer.type() == FrameType.PING.code) {
                answer = ch.receive(Messages.SMALL_FRAME);
            }
            if (answer.type() == FrameType.ERROR.code) {
                throw new VmlabException(destination + " refused the native migration: " + Messages.Reason.read(answer));
            }
            Messages.Ready ready = MigrationChannel.read(MigrationChannel.requireType(answer, FrameType.READY),
                    Messages.Ready::read);
            Tunnel t = new Tunnel(ch, destination, ready.destVmId(), (int) ready.pages());
            t.start();
            return t;
        } catch (IOException | RuntimeException e) {
            ch.close();
            if (e instanceof VmlabException v) {
                throw v;
            }
            throw new VmlabException("cannot open a migration tunnel to " + destination + ": " + e.getMessage(), e);
        }
    }

    private final class Tunnel implements NativeTunnel {
        final MigrationChannel ch;
        final Endpoint destination;
        final String remoteId;
        final int pages;
        final ServerSocket port;
        final CompletableFuture<String> loaded = new CompletableFuture<>();
        final CompletableFuture<long[]> hashes = new CompletableFuture<>();
        final CompletableFuture<Void> resumed = new CompletableFuture<>();
        final long[] hashValues;
        final BitSet hashSeen = new BitSet();
        volatile String failure;
        volatile boolean committed;
        volatile boolean closed;
        volatile Socket hypervisor;

        Tunnel(MigrationChannel ch, Endpoint destination, String remoteId, int pages) throws IOException {
            this.ch = ch;
            this.destination = destination;
            this.remoteId = remoteId;
            this.pages = pages;
            this.hashValues = new long[pages];
            // Loopback only, backlog 1, one accept: QEMU's stream is unauthenticated.
            this.port = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            port.setSoTimeout((int) ACCEPT_TIMEOUT.toMillis());
        }

        void start() {
            daemon("vmlab-tunnel-pump-" + remoteId, this::pump);
            daemon("vmlab-tunnel-reader-" + remoteId, this::read);
            daemon("vmlab-tunnel-keepalive-" + remoteId, this::keepalive);
        }

        private void daemon(String name, Runnable r) {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            t.start();
        }

        /** Accepts the hypervisor's one connection and carries its bytes as STREAM frames. */
        private void pump() {
            try {
                Socket s;
                try {
                    s = port.accept();
                } finally {
                    port.close();
                }
                hypervisor = s;
                if (closed) {
                    s.close();
                    return;
                }
                try (InputStream in = s.getInputStream()) {
                    byte[] buf = new byte[CHUNK];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        ch.send(FrameType.STREAM, buf, 0, n);
                    }
                    ch.send(FrameType.STREAM_END);
                }
            } catch (IOException e) {
                if (!closed) {
                    fail(e instanceof java.net.SocketTimeoutException
                            ? "the hypervisor did not connect to the tunnel within " + ACCEPT_TIMEOUT.toSeconds() + " s"
                            : "tunnel to " + destination + ": " + e.getMessage());
                }
            }
        }

        /** The destination's answers: LOADED, HASHES, VERIFY_READY, RESUMED, ERROR, PING. */
        private void read() {
            try {
                while (true) {
                    Frame f = ch.receive();
                    switch (FrameType.of(f.type())) {
                        case PING -> {
                        }
                        case LOADED -> loaded.complete(MigrationChannel.read(f, Messages.Loaded::read).vmId());
                        case HASHES -> Messages.Hashes.readInto(f, hashValues, hashSeen);
                        case VERIFY_READY -> {
                            if (hashSeen.cardinality() != pages) {
                                throw new TransportException("the destination sent hashes of " + hashSeen.cardinality()
                                        + " of " + pages + " pages");
                            }
                            hashes.complete(hashValues.clone());
                        }
                        case RESUMED -> {
                            resumed.complete(null);
                            return;
                        }
                        case ERROR -> {
                            fail("the destination failed: " + Messages.Reason.read(f));
                            return;
                        }
                        default -> throw new TransportException("unexpected " + FrameType.of(f.type())
                                + " from the destination");
                    }
                }
            } catch (IOException | RuntimeException e) {
                if (!closed && !resumed.isDone()) {
                    fail("tunnel to " + destination + ": " + e.getMessage());
                }
            }
        }

        /** The destination waits silently while the stream pauses (QEMU's setup, a stopped pump). */
        private void keepalive() {
            long period = Math.max(50, receiver.settings().timeout().toMillis() / 3);
            while (!closed && !resumed.isDone() && failure == null) {
                try {
                    Thread.sleep(period);
                    if (System.nanoTime() - ch.lastSendNanos() >= period * 1_000_000L) {
                        ch.send(FrameType.PING);
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (IOException e) {
                    return; // the pump and the reader report a broken link
                }
            }
        }

        /** Records the first failure and cuts both sides: the hypervisor's migration then fails too. */
        private void fail(String why) {
            synchronized (this) {
                if (failure != null) {
                    return;
                }
                failure = why;
            }
            LOG.warn("native tunnel to {} ({}): {}", destination, remoteId, why);
            VmlabException e = new VmlabException(why);
            loaded.completeExceptionally(e);
            hashes.completeExceptionally(e);
            resumed.completeExceptionally(e);
            ch.close();
            closeQuietly(hypervisor);
            try {
                port.close();
            } catch (IOException ignored) {
                // closing
            }
        }

        @Override
        public int localPort() {
            return port.getLocalPort();
        }

        @Override
        public String remoteVmId() {
            return remoteId;
        }

        @Override
        public String awaitLoaded(Duration timeout) {
            return await(loaded, timeout, "the destination to load the migration");
        }

        @Override
        public long[] remotePageHashes() {
            if (!loaded.isDone()) {
                throw new VmlabException("the destination has not loaded the migration yet");
            }
            try {
                ch.send(FrameType.VERIFY);
            } catch (IOException e) {
                fail("tunnel to " + destination + ": " + e.getMessage());
            }
            return await(hashes, REPLY_TIMEOUT, "the destination's page hashes");
        }

        @Override
        public void commit() {
            if (closed || failure != null) {
                throw new VmlabException(failure != null ? failure : "the tunnel to " + destination + " is closed");
            }
            if (!loaded.isDone()) {
                throw new VmlabException("the destination has not loaded the migration yet");
            }
            committed = true;
            try {
                ch.send(FrameType.COMMIT);
            } catch (IOException e) {
                fail("tunnel to " + destination + ": " + e.getMessage());
            }
            await(resumed, REPLY_TIMEOUT, "the destination to resume the VM");
            closeQuietly(hypervisor);
            ch.close();
        }

        private <T> T await(CompletableFuture<T> f, Duration timeout, String what) {
            try {
                return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof VmlabException v ? new VmlabException(v.getMessage(), v)
                        : new VmlabException(String.valueOf(e.getCause()), e.getCause());
            } catch (TimeoutException e) {
                fail("waited " + timeout.toSeconds() + " s for " + what);
                throw new VmlabException("waited " + timeout.toSeconds() + " s for " + what);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VmlabException("interrupted while waiting for " + what);
            }
        }

        @Override
        public long bytesSent() {
            return ch.bytesSent();
        }

        @Override
        public Optional<String> failure() {
            return Optional.ofNullable(failure);
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (!committed && failure == null) {
                ch.sendQuietly(Messages.Reason.abort("the source aborted the migration"));
            }
            ch.close();
            closeQuietly(hypervisor);
            try {
                port.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    private static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }
}
