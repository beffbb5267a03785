package org.vmlab.engines;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.migration.Endpoint;
import org.vmlab.api.memory.FaultMode;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.provider.ProviderProperties;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmBackend;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.api.vm.VmState;
import org.vmlab.transport.Frame;
import org.vmlab.transport.FrameChannel;
import org.vmlab.transport.PageBatch;
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
@Component(service = MigrationReceiver.class, configurationPid = "org.vmlab.transport", immediate = true)
@Designate(ocd = MigrationReceiver.Config.class)
public final class MigrationReceiver implements AutoCloseable {
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
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger refused = new AtomicInteger();
    /** Native tunnel sessions being received now ({@link NativeSession}). */
    private final java.util.Set<NativeSession> nativeSessions = ConcurrentHashMap.newKeySet();
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
        return sessions.values().stream().map(s -> s.vm).filter(v -> v != null && v.id().equals(destVmId))
                .findFirst();
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
        for (Session s : List.copyOf(sessions.values())) {
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
        try {
            Frame first = ch.receive(Protocol.SMALL_FRAME);
            if (first.type() == Protocol.OPEN) {
                control(ch, first);
            } else if (first.type() == Protocol.ATTACH) {
                data(ch, first);
            } else if (first.type() == Protocol.NATIVE_OPEN) {
                NativeSession.serve(ch, first, backends, settings.timeout(), nativeSessions);
            } else {
                refused.incrementAndGet();
                LOG.warn("migration receiver: {} opened with {}; closing", ch.remoteAddress(), Protocol.name(first.type()));
                ch.close();
            }
        } catch (IOException | RuntimeException e) {
            refused.incrementAndGet();
            LOG.warn("migration receiver: {}: {}", ch.remoteAddress(), e.getMessage());
            ch.close();
        }
    }

    // ------------------------------------------------------------ control connection

    private void control(FrameChannel ch, Frame open) throws IOException {
        DataInputStream in = Protocol.in(open);
        String migrationId = in.readUTF();
        int streams = in.readInt();
        boolean compress = in.readBoolean();
        boolean postcopy = in.readBoolean();
        if (streams < 1 || streams > 64) {
            throw new TransportException("OPEN asks for " + streams + " streams (1..64)");
        }
        VmSpec spec = Protocol.decodeSpec(in);
        VmBackend backend = backends.apply(spec.backend());
        if (backend == null) {
            sendError(ch, "no backend '" + spec.backend() + "' on the destination");
            ch.close();
            return;
        }
        Vm vm;
        try {
            vm = backend.prepareIncoming(spec);
        } catch (RuntimeException e) {
            sendError(ch, "destination cannot prepare VM '" + spec.name() + "': " + e.getMessage());
            ch.close();
            return;
        }
        if (postcopy && vm.memory().postcopy().isEmpty()) {
            sendError(ch, "the destination's '" + spec.backend() + "' backend cannot do postcopy");
            ch.close();
            safeDestroy(vm, migrationId);
            return;
        }
        byte[] t = new byte[16];
        new SecureRandom().nextBytes(t);
        Session session = new Session(HexFormat.of().formatHex(t), migrationId, vm, streams, ch);
        sessions.put(session.token, session);
        LOG.info("migration {}: receiving VM '{}' as '{}' over {} stream(s){}", migrationId, spec.name(), vm.id(),
                streams, compress ? ", LZ4" : "");
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeUTF(session.token);
            out.writeUTF(vm.id());
            out.writeLong(vm.memory().pageCount());
            out.flush();
            ch.send(Protocol.READY, bytes.toByteArray());
            session.controlLoop();
        } catch (IOException | RuntimeException e) {
            session.fail(e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    private static void safeDestroy(Vm vm, String migrationId) {
        try {
            vm.destroy();
        } catch (RuntimeException e) {
            LOG.warn("migration {}: cannot destroy VM '{}': {}", migrationId, vm.id(), e.getMessage());
        }
    }

    private static void sendError(FrameChannel ch, String reason) {
        LOG.warn("migration receiver: {}", reason);
        try {
            ch.send(Protocol.ERROR, Protocol.utf(reason));
        } catch (IOException ignored) {
            // the peer may be gone
        }
    }

    // ------------------------------------------------------------ data connections

    private void data(FrameChannel ch, Frame attach) throws IOException {
        DataInputStream in = Protocol.in(attach);
        String token = in.readUTF();
        int index = in.readInt();
        Session s = sessions.get(token);
        if (s == null) {
            throw new TransportException("ATTACH names no migration in progress");
        }
        if (!s.attach(ch, index)) {
            ch.close();
            return;
        }
        PageBatch.Reader reader = new PageBatch.Reader(s.pageRound.length);
        try {
            while (true) {
                Frame f = ch.receive();
                switch (f.type()) {
                    case Protocol.PAGES -> reader.read(f.payload(), s::apply);
                    case Protocol.PING -> {
                    }
                    case Protocol.FLUSH -> s.flushed.countDown(); // postcopy pushes may follow
                    default -> throw new TransportException("unexpected " + Protocol.name(f.type()) + " on a data stream");
                }
            }
        } catch (IOException | RuntimeException e) {
            s.fail("data stream " + index + ": " + e.getMessage());
        } finally {
            reader.close();
        }
    }

    private static long bitmapCount(long[] bitmap) {
        long n = 0;
        for (long w : bitmap) {
            n += Long.bitCount(w);
        }
        return n;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    /** One incoming migration. */
    private final class Session {
        final String token;
        final String migrationId;
        final Vm vm;
        final GuestMemory memory;
        final int streams;
        final FrameChannel control;
        final int[] pageRound;
        final Object[] locks = new Object[256];
        final CountDownLatch flushed;
        final List<FrameChannel> data = new CopyOnWriteArrayList<>();
        final boolean[] attached;
        private boolean committed;
        private String failure;
        /** Set at a postcopy switchover: arriving pages then go through postcopy memory. */
        private volatile IncomingPostcopy postcopy;

        Session(String token, String migrationId, Vm vm, int streams, FrameChannel control) {
            this.token = token;
            this.migrationId = migrationId;
            this.vm = vm;
            this.memory = vm.memory();
            this.streams = streams;
            this.control = control;
            this.pageRound = new int[Math.toIntExact(memory.pageCount())];
            java.util.Arrays.fill(pageRound, -1);
            for (int i = 0; i < locks.length; i++) {
                locks[i] = new Object();
            }
            flushed = new CountDownLatch(streams);
            attached = new boolean[streams];
        }

        synchronized boolean attach(FrameChannel ch, int index) {
            if (failure != null || committed || index < 0 || index >= streams || attached[index]) {
                LOG.warn("migration {}: refusing data stream {}", migrationId, index);
                return false;
            }
            attached[index] = true;
            data.add(ch);
            return true;
        }

        /** Installs a page unless a newer round's copy is already there (streams race). */
        void apply(int round, long pfn, ByteBuffer content) {
            IncomingPostcopy pc = postcopy;
            if (pc != null) {
                pc.fill(pfn, content);
                return;
            }
            int p = (int) pfn;
            synchronized (locks[p & (locks.length - 1)]) {
                int have = pageRound[p];
                if (round < have) {
                    return;
                }
                if (content == null) {
                    if (have >= 0) {
                        memory.writePage(pfn, ByteBuffer.allocate(Pages.SIZE));
                    }
                } else {
                    memory.writePage(pfn, content);
                }
                pageRound[p] = round;
            }
        }

        void controlLoop() throws IOException {
            Duration timeout = settings.timeout();
            while (true) {
                Frame f = control.receive();
                switch (f.type()) {
                    case Protocol.PING -> {
                    }
                    case Protocol.ABORT -> throw new TransportException("source aborted: " + Protocol.in(f).readUTF());
                    case Protocol.SWITCHOVER -> {
                        switchover(f, timeout);
                        return;
                    }
                    case Protocol.POSTCOPY_SWITCH -> {
                        postcopySwitchover(f, timeout);
                        return;
                    }
                    default -> throw new TransportException("unexpected " + Protocol.name(f.type()) + " on the control connection");
                }
            }
        }

        private void switchover(Frame f, Duration timeout) throws IOException {
            DataInputStream in = Protocol.in(f);
            boolean verify = in.readBoolean();
            int len = in.readInt();
            if (len < 0 || len > FrameChannel.MAX_FRAME) {
                throw new TransportException("device state of " + len + " bytes");
            }
            byte[] device = new byte[len];
            in.readFully(device);
            awaitFlushed(timeout);
            vm.loadDeviceState(device);
            if (verify) {
                sendHashes(Protocol.pageHashes(memory));
            }
            while (true) {
                Frame g = control.receive(Protocol.SMALL_FRAME);
                if (g.type() == Protocol.PING) {
                    continue;
                }
                if (g.type() == Protocol.ABORT) {
                    throw new TransportException("source aborted: " + Protocol.in(g).readUTF());
                }
                if (g.type() != Protocol.COMMIT) {
                    throw new TransportException("expected COMMIT, got " + Protocol.name(g.type()));
                }
                break;
            }
            synchronized (this) {
                if (failure != null) {
                    throw new TransportException(failure);
                }
                committed = true;
            }
            vm.resume();
            vm.endMigration();
            sessions.remove(token);
            try {
                control.send(Protocol.RESUMED);
            } catch (IOException e) {
                LOG.warn("migration {}: VM '{}' resumed but the source did not get the acknowledgement: {}",
                        migrationId, vm.id(), e.getMessage());
            }
            LOG.info("migration {}: VM '{}' runs here now", migrationId, vm.id());
            closeAll();
        }

        /**
         * Postcopy: load the device state over memory whose missing pages fault, wait for the
         * commit, resume at once, and serve until every page is in or the source is lost.
         */
        private void postcopySwitchover(Frame f, Duration timeout) throws IOException {
            DataInputStream in = Protocol.in(f);
            boolean verify = in.readBoolean();
            int modeByte = in.readByte();
            if (modeByte != 0 && modeByte != 1) {
                throw new TransportException("unknown fault mode " + modeByte);
            }
            FaultMode mode = modeByte == 1 ? FaultMode.COOPERATIVE : FaultMode.BLOCKING;
            int words = in.readInt();
            long pages = memory.pageCount();
            if (words != (int) ((pages + 63) >>> 6)) {
                throw new TransportException("missing-page bitmap of " + words + " words for " + pages + " pages");
            }
            long[] bitmap = new long[words];
            for (int i = 0; i < words; i++) {
                bitmap[i] = in.readLong();
            }
            int len = in.readInt();
            if (len < 0 || len > FrameChannel.MAX_FRAME) {
                throw new TransportException("device state of " + len + " bytes");
            }
            byte[] device = new byte[len];
            in.readFully(device);
            awaitFlushed(timeout);
            IncomingPostcopy pc = new IncomingPostcopy(migrationId, vm, control, timeout, verify, mode,
                    PageSet.ofBitmap(pages, bitmap));
            postcopy = pc;
            pc.begin();
            CountDownLatch commit = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(1);
            Thread reader = new Thread(() -> postcopyControl(pc, commit, done), "vmlab-receiver-postcopy-" + migrationId);
            reader.setDaemon(true);
            reader.start();
            vm.loadDeviceState(device); // may fault: the reader installs the pages it needs
            control.send(Protocol.POSTCOPY_READY);
            try {
                if (!commit.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new TransportException("no COMMIT within " + timeout.toMillis() + " ms");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TransportException("interrupted");
            }
            synchronized (this) {
                if (failure != null) {
                    throw new TransportException(failure);
                }
                committed = true;
            }
            pc.committed();
            // Past the commit the VM lives only here.
            try {
                vm.resume();
                pc.resumed();
                control.send(Protocol.RESUMED);
                LOG.info("migration {}: VM '{}' runs here now; {} pages follow by postcopy", migrationId, vm.id(),
                        bitmapCount(bitmap));
                pc.awaitComplete();
                vm.endMigration();
                ByteBuffer c = ByteBuffer.allocate(16);
                c.putLong(pc.postcopyNanos()).putLong(pc.blockTime().toNanos());
                control.send(Protocol.COMPLETE, c.array());
                if (verify) {
                    sendHashes(pc.hashes());
                }
                // Let the source read everything before the connection closes.
                done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (IOException | RuntimeException e) {
                LOG.error("migration {}: postcopy of VM '{}' failed: {}", migrationId, vm.id(), e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                pc.close();
                sessions.remove(token);
                closeAll();
            }
        }

        /** The destination's control reader during postcopy. */
        private void postcopyControl(IncomingPostcopy pc, CountDownLatch commit, CountDownLatch done) {
            PageBatch.Reader reader = new PageBatch.Reader(pageRound.length);
            try {
                while (true) {
                    Frame g = control.receive();
                    switch (g.type()) {
                        case Protocol.PAGES -> reader.read(g.payload(), (round, pfn, content) -> pc.fill(pfn, content));
                        case Protocol.PING -> {
                        }
                        case Protocol.COMMIT -> commit.countDown();
                        case Protocol.DONE -> {
                            done.countDown();
                            return;
                        }
                        case Protocol.ABORT -> {
                            String why = "source aborted: " + Protocol.in(g).readUTF();
                            pc.lost(why);
                            fail(why);
                            return;
                        }
                        default -> throw new TransportException("unexpected " + Protocol.name(g.type())
                                + " during postcopy");
                    }
                }
            } catch (IOException | RuntimeException e) {
                String why = e.getMessage() == null ? e.toString() : e.getMessage();
                pc.lost(why);
                done.countDown();
                fail(why); // before the commit: discards the VM; after: only closes
            } finally {
                reader.close();
            }
        }

        private void awaitFlushed(Duration timeout) throws IOException {
            try {
                if (!flushed.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new TransportException("data streams did not finish within " + timeout.toMillis() + " ms");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TransportException("interrupted");
            }
            synchronized (this) {
                if (failure != null) {
                    throw new TransportException(failure);
                }
            }
        }

        private void sendHashes(long[] hashes) throws IOException {
            Protocol.sendHashes(control, hashes);
        }

        /** Ends the session; before commit the partial VM is destroyed. Idempotent. */
        void fail(String reason) {
            boolean destroy;
            synchronized (this) {
                if (failure != null || committed) {
                    if (committed) {
                        closeAll();
                    }
                    return;
                }
                failure = reason;
                destroy = true;
            }
            sessions.remove(token);
            LOG.warn("migration {}: failed before switchover ({}); discarding VM '{}'", migrationId, reason, vm.id());
            try {
                control.send(Protocol.ERROR, Protocol.utf(reason));
            } catch (IOException | RuntimeException ignored) {
                // best effort
            }
            closeAll();
            if (destroy && vm.state() != VmState.STOPPED) {
                try {
                    vm.destroy();
                } catch (RuntimeException e) {
                    LOG.warn("migration {}: cannot destroy VM '{}': {}", migrationId, vm.id(), e.getMessage());
                }
            }
        }

        void closeAll() {
            control.close();
            for (FrameChannel c : data) {
                c.close();
            }
        }
    }
}
