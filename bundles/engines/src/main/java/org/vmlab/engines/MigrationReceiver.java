package org.vmlab.engines;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.migration.ReceiverEndpoint;
import org.vmlab.api.pagecache.SharedStorage;
import org.vmlab.api.provider.ProviderProperties;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmBackend;
import org.vmlab.transport.Frame;
import org.vmlab.transport.FrameChannel;
import org.vmlab.transport.RateLimiter;
import org.vmlab.transport.SharedSecret;
import org.vmlab.transport.TlsContext;
import org.vmlab.transport.TransportException;

/**
 * The destination side of migrations, always listening like QEMU's {@code -incoming}: it
 * authenticates the source, prepares an empty VM of the source's spec on the backend the spec
 * names, fills its memory from the page streams, loads the device state and, on the source's
 * commit, resumes the VM. Any failure before that destroys the partial VM; the receiver keeps
 * serving.
 */
@Component(service = {MigrationReceiver.class, ReceiverEndpoint.class}, configurationPid = "org.vmlab.transport", immediate = true)
@Designate(ocd = MigrationReceiver.Config.class)
public final class MigrationReceiver implements ReceiverEndpoint, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MigrationReceiver.class);

    @ObjectClassDefinition(name = "vmlab migration transport",
            description = "Where this node receives migrations and how peers authenticate")
    public @interface Config {
        @AttributeDefinition(name = "Host", description = "Address to listen on")
        String host() default "127.0.0.1";

        @AttributeDefinition(name = "Port", description = "TCP port to listen on; 0 for any free port")
        int port() default 7301;

        @AttributeDefinition(name = "Secret file",
                description = "File with the shared secret (owner-only); empty for ${karaf.data}/vmlab/transport.secret, created if absent")
        String secretFile() default "";

        @AttributeDefinition(name = "Timeout seconds",
                description = "A peer silent for this long is considered gone")
        int timeoutSeconds() default 10;

        @AttributeDefinition(name = "TLS",
                description = "Speak TLS 1.3 on this node's migration links, incoming and outgoing, trusting only the certificates in the keystore")
        boolean tls() default false;

        @AttributeDefinition(name = "TLS keystore",
                description = "PKCS12 keystore with this node's key and the pinned peer certificates; empty for ${karaf.data}/vmlab/transport.p12")
        String tlsKeystore() default "";

        @AttributeDefinition(name = "TLS password file",
                description = "File with the keystore password (owner-only); empty for ${karaf.data}/vmlab/transport.p12.password")
        String tlsPasswordFile() default "";
    }

    /**
     * Settings outside OSGi.
     *
     * @param tlsKeystore     PKCS12 keystore for TLS, or {@code null} for plain TCP
     * @param tlsPasswordFile owner-only file with its password (set exactly when the keystore is)
     */
    public record Settings(String host, int port, Path secretFile, Duration timeout, Path tlsKeystore,
                           Path tlsPasswordFile) {
        public Settings {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(secretFile, "secretFile");
            Objects.requireNonNull(timeout, "timeout");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535: " + port);
            }
            if (timeout.isZero() || timeout.isNegative()) {
                throw new IllegalArgumentException("timeout must be > 0: " + timeout);
            }
            if ((tlsKeystore == null) != (tlsPasswordFile == null)) {
                throw new IllegalArgumentException("TLS needs both a keystore and a password file");
            }
        }

        /** Plain TCP. */
        public Settings(String host, int port, Path secretFile, Duration timeout) {
            this(host, port, secretFile, timeout, null, null);
        }

        /** Loopback, an ephemeral port, the default timeout of 10 s, no TLS. */
        public static Settings loopback(Path secretFile) {
            return new Settings("127.0.0.1", 0, secretFile, Duration.ofSeconds(10));
        }

        public Settings withTimeout(Duration t) {
            return new Settings(host, port, secretFile, t, tlsKeystore, tlsPasswordFile);
        }

        /** The same with TLS from this keystore. */
        public Settings withTls(Path keystore, Path passwordFile) {
            return new Settings(host, port, secretFile, timeout, Objects.requireNonNull(keystore, "keystore"),
                    Objects.requireNonNull(passwordFile, "passwordFile"));
        }

        public boolean tls() {
            return tlsKeystore != null;
        }
    }

    private final Map<String, VmBackend> dsBackends = new ConcurrentHashMap<>();
    private final Map<String, IncomingSession> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger refused = new AtomicInteger();
    /** Native tunnel sessions being received now ({@link NativeSession}). */
    private final java.util.Set<NativeSession> nativeSessions = ConcurrentHashMap.newKeySet();
    private final IncomingSession.Registry registry = new IncomingSession.Registry() {
        @Override
        public void add(IncomingSession s) {
            sessions.put(s.token, s);
        }

        @Override
        public void remove(IncomingSession s) {
            sessions.remove(s.token, s);
        }

        @Override
        public Optional<SharedStorage> sharedStorage() {
            return Optional.ofNullable(sharedStorage);
        }
    };
    private volatile SharedStorage sharedStorage;
    private Function<String, VmBackend> backends;
    private volatile Settings settings;
    private volatile SharedSecret secret;
    private volatile TlsContext tls;
    private ServerSocket server;
    private ExecutorService pool;
    private volatile boolean closed;

    /** For DS. */
    public MigrationReceiver() {
    }

    /**
     * Outside OSGi: starts listening now.
     *
     * @param backends the backend for a {@code vmlab.backend} name, or {@code null} if none
     */
    public MigrationReceiver(Function<String, VmBackend> backends, Settings settings) throws IOException {
        this.backends = Objects.requireNonNull(backends, "backends");
        start(settings);
    }

    @Activate
    void activate(Config config, Map<String, Object> props) throws IOException {
        backends = dsBackends::get;
        String data = System.getProperty("karaf.data", System.getProperty("java.io.tmpdir"));
        Path secretFile = config.secretFile() == null || config.secretFile().isBlank()
                ? Path.of(data, "vmlab", "transport.secret") : Path.of(config.secretFile().trim());
        Settings s = new Settings(config.host(), config.port(), secretFile,
                Duration.ofSeconds(Math.max(1, config.timeoutSeconds())));
        if (config.tls()) {
            s = s.withTls(orDefault(config.tlsKeystore(), Path.of(data, "vmlab", "transport.p12")),
                    orDefault(config.tlsPasswordFile(), Path.of(data, "vmlab", "transport.p12.password")));
        }
        start(s);
    }

    private static Path orDefault(String configured, Path fallback) {
        return configured == null || configured.isBlank() ? fallback : Path.of(configured.trim());
    }

    @Deactivate
    void deactivate() {
        close();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBackend(VmBackend backend, Map<String, Object> props) {
        Object name = props.get(ProviderProperties.BACKEND);
        dsBackends.put(name != null ? name.toString() : backend.name(), backend);
    }

    void removeBackend(VmBackend backend, Map<String, Object> props) {
        dsBackends.values().remove(backend);
    }

    /** This node's SAN endpoint, which page-cache teleports read from; optional. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void setSharedStorage(SharedStorage storage) {
        this.sharedStorage = storage;
    }

    void unsetSharedStorage(SharedStorage storage) {
        if (this.sharedStorage == storage) {
            this.sharedStorage = null;
        }
    }

    private void start(Settings s) throws IOException {
        this.settings = s;
        this.secret = SharedSecret.loadOrCreate(s.secretFile());
        // Fails activation with the reason (missing keystore, open password file, ...): no silent plain fallback.
        this.tls = s.tls() ? TlsContext.load(s.tlsKeystore(), s.tlsPasswordFile()) : null;
        ServerSocket ss = FrameChannel.serverSocket();
        ss.setReuseAddress(true);
        ss.bind(new InetSocketAddress(InetAddress.getByName(s.host()), s.port()), 64);
        server = ss;
        AtomicInteger n = new AtomicInteger();
        pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "vmlab-receiver-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.execute(this::acceptLoop);
        LOG.info("migration receiver listening on {} ({})", localEndpoint(),
                tls == null ? "plain TCP" : tls + ": " + tls.pinnedSubjects());
    }

    /** Where this receiver listens; what a plan without destination migrates to. */
    public Endpoint localEndpoint() {
        InetSocketAddress a = (InetSocketAddress) server.getLocalSocketAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        return new Endpoint(host, a.getPort());
    }

    @Override
    public Endpoint endpoint() {
        return localEndpoint();
    }

    @Override
    public boolean tls() {
        return settings.tls();
    }

    public Settings settings() {
        return settings;
    }

    /** The shared secret sources use to reach this node's peers (the same file). */
    public SharedSecret secret() {
        return secret;
    }

    /**
     * Opens an authenticated connection to a peer's receiver the way this node is configured:
     * its shared secret and timeout, and TLS with its keystore when {@code tls} is on.
     *
     * @param limiter the link's rate limiter (shared by its streams), or {@code null} for none
     */
    public FrameChannel connect(Endpoint to, RateLimiter limiter) throws IOException {
        Objects.requireNonNull(to, "to");
        return FrameChannel.connect(new InetSocketAddress(to.host(), to.port()), secret, settings.timeout(), limiter, tls);
    }

    /** Migrations being received now. */
    public int activeSessions() {
        return sessions.size() + nativeSessions.size();
    }

    /** Connections refused so far (bad handshake, wrong secret, protocol errors before a session). */
    public int refusedConnections() {
        return refused.get();
    }

    /** The destination VM of a migration being received (for local verification). */
    public Optional<Vm> incomingVm(String destVmId) {
        return sessions.values().stream().map(s -> s.vm).filter(v -> v.id().equals(destVmId)).findFirst();
    }

    @Override
    public void close() {
        closed = true;
        try {
            if (server != null) {
                server.close();
            }
        } catch (IOException ignored) {
            // closing
        }
        for (IncomingSession s : List.copyOf(sessions.values())) {
            s.fail("the receiver is shutting down");
        }
        for (NativeSession s : List.copyOf(nativeSessions)) {
            s.abort("the receiver is shutting down");
        }
        if (pool != null) {
            pool.shutdownNow();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("migration receiver accept failed: {}", e.toString());
                }
                continue;
            }
            try {
                pool.execute(() -> handle(s));
            } catch (RuntimeException e) {
                closeQuietly(s);
            }
        }
    }

    private void handle(Socket socket) {
        FrameChannel ch;
        try {
            ch = FrameChannel.accept(socket, secret, settings.timeout(), tls);
        } catch (IOException e) {
            refused.incrementAndGet();
            LOG.warn("migration receiver: {}", e.getMessage());
            return;
        }
        MigrationChannel mc = new MigrationChannel(ch);
        try {
            Frame first = ch.receive(Messages.SMALL_FRAME);
            switch (FrameType.of(first.type())) {
                case OPEN -> IncomingSession.serve(mc, MigrationChannel.read(first, Messages.Open::read), backends,
                        settings.timeout(), registry);
                case ATTACH -> {
                    Messages.Attach a = MigrationChannel.read(first, Messages.Attach::read);
                    IncomingSession s = sessions.get(a.token());
                    if (s == null) {
                        throw new TransportException("ATTACH names no migration in progress");
                    }
                    s.serveStream(mc, a.index());
                }
                case NATIVE_OPEN -> NativeSession.serve(mc, MigrationChannel.read(first, Messages.NativeOpen::read),
                        backends, settings.timeout(), nativeSessions);
                default -> {
                    refused.incrementAndGet();
                    LOG.warn("migration receiver: {} opened with {}; closing", ch.remoteAddress(),
                            FrameType.of(first.type()));
                    ch.close();
                }
            }
        } catch (IOException | RuntimeException e) {
            refused.incrementAndGet();
            LOG.warn("migration receiver: {}: {}", ch.remoteAddress(), e.getMessage());
            ch.close();
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
