package org.vmlab.engines;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.vm.NativeIncoming;
import org.vmlab.api.vm.VmBackend;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.transport.Frame;
import org.vmlab.transport.FrameChannel;
import org.vmlab.transport.TransportException;

/**
 * The destination side of a native tunnel ({@link NativeTunnelService}): a paused VM whose
 * hypervisor waits on a loopback port, fed with the STREAM frames of one authenticated
 * connection. Until COMMIT any failure destroys the VM; the hypervisor's port is never reachable
 * from the network, only through this session.
 */
final class NativeSession {
    private static final Logger LOG = LoggerFactory.getLogger(NativeSession.class);

    private final FrameChannel control;
    private final Duration timeout;
    private final String migrationId;
    private final NativeIncoming incoming;
    private volatile boolean done;
    private boolean committed;
    private boolean failed;

    private NativeSession(FrameChannel control, Duration timeout, String migrationId, NativeIncoming incoming) {
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
    static void serve(FrameChannel ch, Frame open, java.util.function.Function<String, VmBackend> backends,
                      Duration timeout, java.util.Set<NativeSession> tracker) throws IOException {
        DataInputStream in = Protocol.in(open);
        String migrationId = in.readUTF();
        VmSpec spec = Protocol.decodeSpec(in);
        Map<String, String> settings = Protocol.readStrings(in);
        VmBackend backend = backends.apply(spec.backend());
        if (backend == null) {
            refuse(ch, "no backend '" + spec.backend() + "' on the destination");
            return;
        }
        NativeIncoming incoming;
        try {
            incoming = backend.prepareNativeIncoming(spec, settings).orElse(null);
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

    private static void refuse(FrameChannel ch, String reason) {
        LOG.warn("migration receiver: {}", reason);
        try {
            ch.send(Protocol.ERROR, Protocol.utf(reason));
        } catch (IOException ignored) {
            // the peer may be gone
        }
        ch.close();
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
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeUTF(migrationId);
            out.writeUTF(vmId);
            out.writeLong(incoming.vm().memory().pageCount());
            out.flush();
            control.send(Protocol.READY, bytes.toByteArray());
            LOG.info("migration {}: receiving a native migration of VM '{}' as '{}'", migrationId,
                    incoming.vm().spec().name(), vmId);
            pump(qemu.getOutputStream());
            qemu.shutdownOutput();
            incoming.awaitLoaded(QEMU_LOAD_TIMEOUT);
            control.send(Protocol.LOADED, Protocol.utf(vmId));
            while (true) {
                Frame f = control.receive(Protocol.SMALL_FRAME);
                switch (f.type()) {
                    case Protocol.PING -> {
                    }
                    case Protocol.VERIFY -> Protocol.sendHashes(control, Protocol.pageHashes(incoming.vm().memory()));
                    case Protocol.ABORT -> throw new TransportException("source aborted: " + Protocol.in(f).readUTF());
                    case Protocol.COMMIT -> {
                        synchronized (this) {
                            if (failed) {
                                throw new TransportException("the session had already failed");
                            }
                            committed = true;
                        }
                        incoming.commit();
                        LOG.info("migration {}: VM '{}' runs here now", migrationId, vmId);
                        try {
                            control.send(Protocol.RESUMED);
                        } catch (IOException e) {
                            LOG.warn("migration {}: VM '{}' resumed but the source did not get the acknowledgement: {}",
                                    migrationId, vmId, e.getMessage());
                        }
                        return;
                    }
                    default -> throw new TransportException("unexpected " + Protocol.name(f.type())
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
            switch (f.type()) {
                case Protocol.STREAM -> {
                    try {
                        toQemu.write(f.bytes());
                    } catch (IOException e) {
                        throw new TransportException("the destination hypervisor stopped reading the migration stream ("
                                + e.getMessage() + ")", e);
                    }
                }
                case Protocol.STREAM_END -> {
                    toQemu.flush();
                    return;
                }
                case Protocol.PING -> {
                }
                case Protocol.ABORT -> throw new TransportException("source aborted: " + Protocol.in(f).readUTF());
                default -> throw new TransportException("unexpected " + Protocol.name(f.type())
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
                        control.send(Protocol.PING);
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
        try {
            control.send(Protocol.ERROR, Protocol.utf(reason));
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
        control.close();
        try {
            incoming.close();
        } catch (RuntimeException e) {
            LOG.warn("migration {}: cannot destroy VM '{}': {}", migrationId, incoming.vm().id(), e.getMessage());
        }
    }
}
