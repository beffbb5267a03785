package org.vmlab.engines;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.vm.NativeIncoming;
import org.vmlab.api.vm.VmBackend;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.transport.Frame;
import org.vmlab.transport.TransportException;

/**
 * The destination side of a native tunnel ({@link NativeTunnelService}): a paused VM whose
 * hypervisor waits on a loopback port, fed with the STREAM frames of one authenticated
 * connection. Until COMMIT any failure destroys the VM; the hypervisor's port is never reachable
 * from the network, only through this session.
 */
final class NativeSession {
    private static final Logger LOG = LoggerFactory.getLogger(NativeSession.class);

    private final MigrationChannel control;
    private final Duration timeout;
    private final String migrationId;
    private final NativeIncoming incoming;
    private volatile boolean done;
    private boolean committed;
    private boolean failed;

    private NativeSession(MigrationChannel control, Duration timeout, String migrationId, NativeIncoming incoming) {
        this.control = control;
        this.timeout = timeout;
        this.migrationId = migrationId;
        this.incoming = incoming;
    }

    /**
     * Serves one NATIVE_OPEN to the end: prepares the VM, answers READY or ERROR, carries the
     * stream, and resumes the VM on COMMIT or destroys it on anything else.
     *
     * @param tracker told when the session starts and ends (the receiver's session count)
     */
    static void serve(MigrationChannel ch, Messages.NativeOpen open, Function<String, VmBackend> backends,
                      Duration timeout, Set<NativeSession> tracker) {
        String migrationId = open.migrationId();
        VmSpec spec = open.spec();
        VmBackend backend = backends.apply(spec.backend());
        if (backend == null) {
            refuse(ch, "no backend '" + spec.backend() + "' on the destination");
            return;
        }
        NativeIncoming incoming;
        try {
            incoming = backend.prepareNativeIncoming(spec, open.settings()).orElse(null);
        } catch (RuntimeException e) {
            refuse(ch, "destination cannot prepare VM '" + spec.name() + "' for a native migration: " + e.getMessage());
            return;
        }
        if (incoming == null) {
            refuse(ch, "the destination's '" + spec.backend() + "' backend cannot receive its hypervisor's own migration");
            return;
        }
        NativeSession s = new NativeSession(ch, timeout, migrationId, incoming);
        tracker.add(s);
        try {
            s.run();
        } finally {
            tracker.remove(s);
        }
    }

    private static void refuse(MigrationChannel ch, String reason) {
        IncomingSession.refuse(ch, reason);
    }

    /** Ends the session from outside (receiver shutdown): the VM goes unless committed. */
    void abort(String reason) {
        fail(reason);
    }

    private void run() {
        String vmId = incoming.vm().id();
        Thread keepalive = keepalive();
        try (Socket qemu = new Socket()) {
            // Loopback only: the hypervisor's stream is unauthenticated.
            qemu.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), incoming.port()),
                    (int) timeout.toMillis());
            control.send(new Messages.Ready(migrationId, vmId, incoming.vm().memory().pageCount()));
            LOG.info("migration {}: receiving a native migration of VM '{}' as '{}'", migrationId,
                    incoming.vm().spec().name(), vmId);
            pump(qemu.getOutputStream());
            qemu.shutdownOutput();
            incoming.awaitLoaded(QEMU_LOAD_TIMEOUT);
            control.send(new Messages.Loaded(vmId));
            while (true) {
                Frame f = control.receive(Messages.SMALL_FRAME);
                switch (FrameType.of(f.type())) {
                    case PING -> {
                    }
                    case VERIFY -> Messages.Hashes.sendAll(control, IncomingSession.pageHashes(incoming.vm().memory()));
                    case ABORT -> throw new TransportException("source aborted: " + Messages.Reason.read(f));
                    case COMMIT -> {
                        synchronized (this) {
                            if (failed) {
                                throw new TransportException("the session had already failed");
                            }
                            committed = true;
                        }
                        incoming.commit();
                        LOG.info("migration {}: VM '{}' runs here now", migrationId, vmId);
                        try {
                            control.send(FrameType.RESUMED);
                        } catch (IOException e) {
                            LOG.warn("migration {}: VM '{}' resumed but the source did not get the acknowledgement: {}",
                                    migrationId, vmId, e.getMessage());
                        }
                        return;
                    }
                    default -> throw new TransportException("unexpected " + FrameType.of(f.type())
                            + " in a native migration");
                }
            }
        } catch (IOException | RuntimeException e) {
            fail(e.getMessage() == null ? e.toString() : e.getMessage());
        } finally {
            done = true;
            keepalive.interrupt();
            control.close();
        }
    }

    /** Generous: QEMU under TCG on a busy host takes a while to load device state after the last byte. */
    private static final Duration QEMU_LOAD_TIMEOUT = Duration.ofSeconds(120);

    /** Writes STREAM payloads to the hypervisor until STREAM_END. */
    private void pump(OutputStream toQemu) throws IOException {
        while (true) {
            Frame f = control.receive();
            switch (FrameType.of(f.type())) {
                case STREAM -> {
                    try {
                        toQemu.write(f.bytes());
                    } catch (IOException e) {
                        throw new TransportException("the destination hypervisor stopped reading the migration stream ("
                                + e.getMessage() + ")", e);
                    }
                }
                case STREAM_END -> {
                    toQemu.flush();
                    return;
                }
                case PING -> {
                }
                case ABORT -> throw new TransportException("source aborted: " + Messages.Reason.read(f));
                default -> throw new TransportException("unexpected " + FrameType.of(f.type())
                        + " in a native migration stream");
            }
        }
    }

    /** The source waits silently while the stream flows one way: PING keeps its reads alive. */
    private Thread keepalive() {
        long period = Math.max(50, timeout.toMillis() / 3);
        Thread t = new Thread(() -> {
            while (!done) {
                try {
                    Thread.sleep(period);
                    if (System.nanoTime() - control.lastSendNanos() >= period * 1_000_000L) {
                        control.send(FrameType.PING);
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (IOException e) {
                    return; // the session's own reads and writes report the broken link
                }
            }
        }, "vmlab-native-keepalive-" + migrationId);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void fail(String reason) {
        synchronized (this) {
            if (committed || failed) {
                return; // committed: the VM lives here now
            }
            failed = true;
        }
        done = true;
        LOG.warn("migration {}: native migration failed before switchover ({}); discarding VM '{}'", migrationId,
                reason, incoming.vm().id());
        control.sendQuietly(Messages.Reason.error(reason));
        control.close();
        try {
            incoming.close();
        } catch (RuntimeException e) {
            LOG.warn("migration {}: cannot destroy VM '{}': {}", migrationId, incoming.vm().id(), e.getMessage());
        }
    }
}
