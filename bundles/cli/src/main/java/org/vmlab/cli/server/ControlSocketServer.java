package org.vmlab.cli.server;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.cli.protocol.ControlProtocol;
import org.vmlab.cli.protocol.ControlProtocol.Request;

/**
 * The instance's end of {@code bin/vmlab}: a Unix domain socket in a folder only the owner can
 * enter, so no password exists that anyone could guess or read. Each connection runs one shell
 * command in a fresh Karaf session and streams its output back with the exit status.
 */
@Component(immediate = true, service = {}, configurationPid = "org.vmlab.cli")
@Designate(ocd = ControlSocketConfig.class)
public final class ControlSocketServer {
    private static final Logger LOG = LoggerFactory.getLogger(ControlSocketServer.class);

    private final SessionFactory sessions;
    private final Readiness readiness;
    private final Path socketPath;
    private final ServerSocketChannel server;
    private final ExecutorService workers;
    private final Semaphore slots;
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;

    @Activate
    public ControlSocketServer(@Reference SessionFactory sessions, BundleContext context, ControlSocketConfig config)
            throws IOException {
        this.sessions = sessions;
        this.readiness = new Readiness(context, TimeUnit.SECONDS.toMillis(config.ready_timeout_seconds()));
        this.socketPath = socketPath(context, config);
        this.slots = new Semaphore(Math.max(1, config.max_concurrent()));
        this.server = bind(socketPath);
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "vmlab-control-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.acceptor = new Thread(this::acceptLoop, "vmlab-control-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
        LOG.info("vmlab control socket listening on {}", socketPath);
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing control socket", e);
        }
        for (SocketChannel c : open) {
            closeQuietly(c);
        }
        workers.shutdownNow();
        acceptor.join(5_000);
        workers.awaitTermination(5, TimeUnit.SECONDS);
        try {
            Files.deleteIfExists(socketPath);
            SocketPaths.removeShortPathFolder(socketPath);
        } catch (IOException e) {
            LOG.warn("could not remove {}: {}", socketPath, e.getMessage());
        }
    }

    private static Path socketPath(BundleContext context, ControlSocketConfig config) throws IOException {
        if (!config.socket_path().isBlank()) {
            return Path.of(config.socket_path());
        }
        String home = context.getProperty("karaf.home");
        String data = context.getProperty("karaf.data");
        return SocketPaths.defaultPath(Path.of(home == null ? "." : home), Path.of(data == null ? "data" : data));
    }

    private static ServerSocketChannel bind(Path path) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        SocketPaths.createPrivate(dir);
        if (Files.exists(path)) {
            if (answers(path)) {
                throw new IOException("another vmlab instance already serves " + path);
            }
            Files.delete(path); // left over from an instance that did not stop cleanly
        }
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        channel.bind(UnixDomainSocketAddress.of(path));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        return channel;
    }

    private static boolean answers(Path path) {
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                if (!slots.tryAcquire()) {
                    refuse(client, "too many commands running at once; try again when one has finished");
                    continue;
                }
                open.add(client);
                workers.execute(() -> {
                    try {
                        serve(client);
                    } finally {
                        open.remove(client);
                        closeQuietly(client);
                        slots.release();
                    }
                });
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (server.isOpen()) {
                    LOG.warn("control socket accept failed: {}", e.getMessage());
                }
            }
        }
    }

    private void serve(SocketChannel client) {
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(ChannelStreams.output(client)));
        try {
            Request request;
            try {
                request = ControlProtocol.readRequest(new DataInputStream(new BufferedInputStream(ChannelStreams.input(client))));
            } catch (java.io.EOFException e) {
                LOG.warn("refused a control request: the client closed the connection inside its request");
                return;
            } catch (IOException e) {
                LOG.warn("refused a control request: {}", e.getMessage());
                sendError(out, "bad control request: " + e.getMessage(), ControlProtocol.EXIT_USAGE);
                return;
            }
            if (!readiness.await()) {
                LOG.warn("serving a command before every bundle is active");
            }
            if (request.isPing()) {
                ControlProtocol.writeExit(out, 0);
                return;
            }
            int status = execute(request, client, out);
            synchronized (out) {
                ControlProtocol.writeExit(out, status);
            }
        } catch (IOException e) {
            LOG.debug("control client went away: {}", e.getMessage());
        }
    }

    private int execute(Request request, SocketChannel client, DataOutputStream out) {
        String line = CommandLines.join(request.args());
        // Bold and colours only for a terminal: a script's file or pipe gets plain text.
        boolean terminal = request.stdoutIsTerminal();
        PrintStream stdout = printStream(new FrameOutputStream(out, ControlProtocol.FRAME_STDOUT), terminal);
        PrintStream stderr = printStream(new FrameOutputStream(out, ControlProtocol.FRAME_STDERR), terminal);
        Thread runner = Thread.currentThread();
        // A client that hangs up (Ctrl-C on bin/vmlab) interrupts its command, as Ctrl-C does in the console.
        // The watcher is never cancelled: interrupting a thread blocked in channel I/O closes the
        // channel, which would lose the exit frame. It ends when the connection closes.
        java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();
        workers.execute(() -> {
            if (awaitHangup(client) && !finished.get()) {
                runner.interrupt();
            }
        });
        Session session = sessions.create(InputStream.nullInputStream(), stdout, stderr);
        try {
            session.put("vmlab.tty", request.stdoutIsTerminal());
            session.put("vmlab.columns", request.columns());
            session.put("vmlab.cwd", request.cwd());
            Object result = session.execute(line);
            if (result != null) {
                stdout.println(result);
            }
            return 0;
        } catch (Exception e) {
            stderr.println("Error: " + CommandErrors.oneLine(e));
            return CommandErrors.isCommandNotFound(e) ? ControlProtocol.EXIT_USAGE : ControlProtocol.EXIT_FAILED;
        } finally {
            finished.set(true);
            session.close();
            stdout.flush();
            stderr.flush();
            Thread.interrupted(); // clear a hang-up interrupt so the exit frame can still be written
        }
    }

    private static PrintStream printStream(OutputStream frames, boolean terminal) {
        return new PrintStream(terminal ? frames : new PlainTextOutputStream(frames), true, StandardCharsets.UTF_8);
    }

    /** Blocks until the connection closes, from either end; true if it closed. */
    private static boolean awaitHangup(SocketChannel client) {
        try {
            ByteBuffer sink = ByteBuffer.allocate(64);
            while (client.read(sink) >= 0) {
                sink.clear(); // a client sends nothing after its request; ignore stray bytes
            }
            return true;
        } catch (IOException e) {
            return true;
        }
    }

    private static void sendError(DataOutputStream out, String message, int status) throws IOException {
        byte[] bytes = ("Error: " + message + System.lineSeparator()).getBytes(StandardCharsets.UTF_8);
        ControlProtocol.writeFrame(out, ControlProtocol.FRAME_STDERR, bytes, 0, bytes.length);
        ControlProtocol.writeExit(out, status);
    }

    private static void refuse(SocketChannel client, String message) {
        try (client) {
            sendError(new DataOutputStream(new BufferedOutputStream(ChannelStreams.output(client))), message, ControlProtocol.EXIT_FAILED);
        } catch (IOException e) {
            LOG.debug("refusing control client", e);
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            LOG.debug("closing control client", e);
        }
    }
}
