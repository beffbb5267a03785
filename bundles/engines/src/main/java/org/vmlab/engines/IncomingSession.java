package org.vmlab.engines;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.pagecache.SharedStorage;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmBackend;
import org.vmlab.api.vm.VmState;
import org.vmlab.engines.Messages.Open;
import org.vmlab.engines.Messages.Ready;
import org.vmlab.engines.Messages.Reason;
import org.vmlab.engines.Messages.Switchover;
import org.vmlab.transport.Frame;
import org.vmlab.transport.PageBatch;
import org.vmlab.transport.TransportException;

/**
 * One migration being received: an empty VM of the source's spec, filled from the data streams
 * (a page from a later round wins over one from an earlier round, since streams race), then the
 * precopy switchover (device state, verification, resume on COMMIT) or the postcopy one
 * ({@link IncomingPostcopySwitch}). Any failure before the commit destroys the partial VM.
 */
final class IncomingSession {
    private static final Logger LOG = LoggerFactory.getLogger(IncomingSession.class);

    /** Where sessions are kept while they run, so data streams can find theirs by token. */
    interface Registry {
        void add(IncomingSession s);

        void remove(IncomingSession s);

        /** This node's SAN endpoint, for a page-cache teleport; empty where there is none. */
        default Optional<SharedStorage> sharedStorage() {
            return Optional.empty();
        }
    }

    final String token;
    final String migrationId;
    final Vm vm;
    private final GuestMemory memory;
    private final int streams;
    private final MigrationChannel control;
    private final Duration timeout;
    private final Registry registry;
    private final int[] pageRound;
    private final Object[] locks = new Object[256];
    private final CountDownLatch flushed;
    private final List<MigrationChannel> data = new CopyOnWriteArrayList<>();
    private final boolean[] attached;
    private boolean committed;
    private String failure;
    /** Set at a postcopy switchover: arriving pages then go through postcopy memory. */
    private volatile IncomingPostcopy postcopy;
    /** The page-cache teleport's SAN side; only the control loop touches it. */
    private final IncomingTeleport teleport;

    private IncomingSession(String token, String migrationId, Vm vm, int streams, MigrationChannel control,
                            Duration timeout, Registry registry) {
        this.token = token;
        this.migrationId = migrationId;
        this.vm = vm;
        this.memory = vm.memory();
        this.streams = streams;
        this.control = control;
        this.timeout = timeout;
        this.registry = registry;
        this.pageRound = new int[Math.toIntExact(memory.pageCount())];
        Arrays.fill(pageRound, -1);
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new Object();
        }
        flushed = new CountDownLatch(streams);
        attached = new boolean[streams];
        teleport = new IncomingTeleport(migrationId, vm, (pfn, content) -> apply(0, pfn, content));
    }

    /**
     * Serves an OPEN to the end: prepares the VM on the backend its spec names, answers READY or
     * ERROR, and runs the control connection until the VM runs here or is discarded.
     */
    static void serve(MigrationChannel ch, Open open, Function<String, VmBackend> backends, Duration timeout,
                      Registry registry) {
        VmBackend backend = backends.apply(open.spec().backend());
        if (backend == null) {
            refuse(ch, "no backend '" + open.spec().backend() + "' on the destination");
            return;
        }
        Vm vm;
        try {
            vm = backend.prepareIncoming(open.spec());
        } catch (RuntimeException e) {
            refuse(ch, "destination cannot prepare VM '" + open.spec().name() + "': " + e.getMessage());
            return;
        }
        if (open.postcopy() && vm.memory().postcopy().isEmpty()) {
            refuse(ch, "the destination's '" + open.spec().backend() + "' backend cannot do postcopy");
            destroy(vm, open.migrationId());
            return;
        }
        byte[] t = new byte[16];
        new SecureRandom().nextBytes(t);
        IncomingSession s = new IncomingSession(HexFormat.of().formatHex(t), open.migrationId(), vm, open.streams(),
                ch, timeout, registry);
        registry.add(s);
        LOG.info("migration {}: receiving VM '{}' as '{}' over {} stream(s){}", s.migrationId, open.spec().name(),
                vm.id(), open.streams(), open.compress() ? ", LZ4" : "");
        try {
            ch.send(new Ready(s.token, vm.id(), vm.memory().pageCount()));
            s.controlLoop();
        } catch (IOException | RuntimeException e) {
            s.fail(Failures.reason(e));
        }
    }

    static void refuse(MigrationChannel ch, String reason) {
        LOG.warn("migration receiver: {}", reason);
        ch.sendQuietly(Reason.error(reason));
        ch.close();
    }

    /** Carries one data stream's pages into memory until the connection ends. */
    void serveStream(MigrationChannel ch, int index) {
        if (!attach(ch, index)) {
            ch.close();
            return;
        }
        PageBatch.Reader reader = new PageBatch.Reader(pageRound.length);
        try {
            while (true) {
                Frame f = ch.receiveReusing();
                switch (FrameType.of(f.type())) {
                    case PAGES -> reader.read(f.payload(), this::apply);
                    case PING -> {
                    }
                    case FLUSH -> flushed.countDown(); // postcopy pushes may follow
                    default -> throw new TransportException("unexpected " + FrameType.of(f.type()) + " on a data stream");
                }
            }
        } catch (IOException | RuntimeException e) {
            fail("data stream " + index + ": " + e.getMessage());
        } finally {
            reader.close();
        }
    }

    private synchronized boolean attach(MigrationChannel ch, int index) {
        if (failure != null || committed || index < 0 || index >= streams || attached[index]) {
            LOG.warn("migration {}: refusing data stream {}", migrationId, index);
            return false;
        }
        attached[index] = true;
        data.add(ch);
        return true;
    }

    /** Installs a page unless a newer round's copy is already there. */
    private void apply(int round, long pfn, ByteBuffer content) {
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

    private void controlLoop() throws IOException {
        while (true) {
            Frame f = control.receive();
            switch (FrameType.of(f.type())) {
                case PING -> {
                }
                case ABORT -> throw new TransportException("source aborted: " + Reason.read(f));
                case SAN_OPEN -> {
                    teleport.open(registry.sharedStorage(), MigrationChannel.read(f, TeleportMessages.SanOpen::read));
                    control.send(FrameType.SAN_READY);
                }
                case TELEPORT -> control.send(teleport.serve(
                        MigrationChannel.read(f, g -> TeleportMessages.Teleport.read(g, memory.pageCount()))));
                case SWITCHOVER -> {
                    teleport.close();
                    switchover(MigrationChannel.read(f, Switchover::read));
                    return;
                }
                case POSTCOPY_SWITCH -> {
                    teleport.close();
                    Messages.PostcopySwitch ps = Messages.PostcopySwitch.read(f, memory.pageCount());
                    awaitFlushed();
                    new IncomingPostcopySwitch(this, control, timeout).run(ps);
                    return;
                }
                default -> throw new TransportException("unexpected " + FrameType.of(f.type())
                        + " on the control connection");
            }
        }
    }

    private void switchover(Switchover s) throws IOException {
        awaitFlushed();
        vm.loadDeviceState(s.deviceState());
        if (s.verify()) {
            Messages.Hashes.sendAll(control, pageHashes(memory));
        }
        while (true) {
            Frame g = control.receive(Messages.SMALL_FRAME);
            FrameType t = FrameType.of(g.type());
            if (t == FrameType.ABORT) {
                throw new TransportException("source aborted: " + Reason.read(g));
            }
            if (t == FrameType.COMMIT) {
                break;
            }
            if (t != FrameType.PING) {
                throw new TransportException("expected COMMIT, got " + t);
            }
        }
        commit();
        vm.resume();
        vm.endMigration();
        registry.remove(this);
        try {
            control.send(FrameType.RESUMED);
        } catch (IOException e) {
            LOG.warn("migration {}: VM '{}' resumed but the source did not get the acknowledgement: {}",
                    migrationId, vm.id(), e.getMessage());
        }
        LOG.info("migration {}: VM '{}' runs here now", migrationId, vm.id());
        closeAll();
    }

    /** From now on the VM lives here: a failure no longer discards it. */
    synchronized void commit() throws TransportException {
        if (failure != null) {
            throw new TransportException(failure);
        }
        committed = true;
    }

    /** Arriving pages go through postcopy memory from now on. */
    void postcopy(IncomingPostcopy pc) {
        postcopy = pc;
    }

    /** The XXH64 hash of every page, indexed by page frame number (what verification compares). */
    static long[] pageHashes(GuestMemory memory) {
        long[] hashes = new long[Math.toIntExact(memory.pageCount())];
        for (int pfn = 0; pfn < hashes.length; pfn++) {
            hashes[pfn] = memory.pageHash(pfn);
        }
        return hashes;
    }

    private void awaitFlushed() throws IOException {
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

    /** Ends the session; before the commit the partial VM is destroyed. Idempotent. */
    void fail(String reason) {
        synchronized (this) {
            if (failure != null || committed) {
                if (committed) {
                    closeAll();
                }
                return;
            }
            failure = reason;
        }
        registry.remove(this);
        teleport.close();
        LOG.warn("migration {}: failed before switchover ({}); discarding VM '{}'", migrationId, reason, vm.id());
        control.sendQuietly(Reason.error(reason));
        closeAll();
        if (vm.state() != VmState.STOPPED) {
            destroy(vm, migrationId);
        }
    }

    /** Ends a committed session (postcopy done or lost): the VM stays. */
    void end() {
        registry.remove(this);
        closeAll();
    }

    private void closeAll() {
        control.close();
        data.forEach(MigrationChannel::close);
    }

    static void destroy(Vm vm, String migrationId) {
        try {
            vm.destroy();
        } catch (RuntimeException e) {
            LOG.warn("migration {}: cannot destroy VM '{}': {}", migrationId, vm.id(), e.getMessage());
        }
    }
}
