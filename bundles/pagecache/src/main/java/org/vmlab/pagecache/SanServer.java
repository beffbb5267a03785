package org.vmlab.pagecache;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.DataRate;
import org.vmlab.api.VmlabException;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.pagecache.SanModel;
import org.vmlab.api.pagecache.SanSession;
import org.vmlab.api.pagecache.SharedStorage;

/**
 * The node's SAN storage endpoint: serves disk images block by block over TCP on loopback, each
 * session with its own rate and request-latency model ({@link SanModel}), separate from the
 * migration network. Only sessions opened through this service are served: each connection
 * presents a random token the service handed out, so no other local process can read images.
 */
@Component(service = {SharedStorage.class, SanServer.class}, configurationPid = "org.vmlab.san", immediate = true)
@Designate(ocd = SanServer.Config.class)
public final class SanServer implements SharedStorage, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SanServer.class);

    @ObjectClassDefinition(name = "vmlab SAN endpoint", description = "Where this node serves disk images to migration destinations")
    public @interface Config {
        @AttributeDefinition(name = "Host", description = "Address to listen on (loopback by default)")
        String host() default "127.0.0.1";

        @AttributeDefinition(name = "Port", description = "TCP port; 0 for any free port")
        int port() default 0;
    }

    /** One image served to one client session. */
    private record Served(Path image, FileChannel channel, long blocks, SanModel model, SanRate rate) {
    }

    private final ServerSocket server;
    private final Map<String, Served> sessions = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private final Thread acceptor;

    @Activate
    public SanServer(Config config) throws IOException {
        this(config.host(), config.port());
    }

    /** Outside OSGi: listens on {@code host:port} (0 = any free port). */
    public SanServer(String host, int port) throws IOException {
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getByName(host), port));
        acceptor = new Thread(this::acceptLoop, "vmlab-san-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        LOG.info("SAN endpoint listening on {}", server.getLocalSocketAddress());
    }

    public int port() {
        return server.getLocalPort();
    }

    @Override
    public Optional<String> unsupportedReason(Path image) {
        if (image == null || !Files.isRegularFile(image)) {
            return Optional.of("the disk image " + image + " is not a regular file");
        }
        if (!Files.isReadable(image)) {
            return Optional.of("the disk image " + image + " is not readable");
        }
        return Optional.empty();
    }

    @Override
    public SanSession open(Path image, SanModel model) {
        unsupportedReason(image).ifPresent(why -> {
            throw new VmlabException("SAN endpoint cannot serve: " + why);
        });
        byte[] token = new byte[SanWire.TOKEN_BYTES];
        random.nextBytes(token);
        String key = HexFormat.of().formatHex(token);
        try {
            FileChannel ch = FileChannel.open(image, StandardOpenOption.READ);
            long blocks = (ch.size() + Pages.SIZE - 1) / Pages.SIZE;
            sessions.put(key, new Served(image, ch, blocks, model, new SanRate(model.rate())));
            return new SanClient(new InetSocketAddress(server.getInetAddress(), server.getLocalPort()), token,
                    model, () -> forget(key));
        } catch (IOException | RuntimeException e) {
            forget(key);
            throw new VmlabException("cannot open a SAN session on " + image + ": " + e.getMessage(), e);
        }
    }

    /** Sets the rate of every open session from now on (an experiment slows the SAN mid-migration). */
    public void setRate(DataRate rate) {
        sessions.values().forEach(s -> s.rate().set(rate));
        LOG.info("SAN endpoint: rate of {} session(s) set to {}", sessions.size(), rate);
    }

    /** Sessions open now. */
    public int sessionCount() {
        return sessions.size();
    }

    private void forget(String key) {
        Served s = sessions.remove(key);
        if (s != null) {
            try {
                s.channel().close();
            } catch (IOException e) {
                LOG.debug("closing {}: {}", s.image(), e.toString());
            }
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread t = new Thread(() -> serve(s), "vmlab-san-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!server.isClosed()) {
                    LOG.warn("SAN endpoint: accept failed: {}", e.toString());
                }
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(60));
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
            Served s = sessions.get(HexFormat.of().formatHex(SanWire.Hello.read(in).token()));
            if (s == null) {
                LOG.warn("SAN endpoint: refused a connection with an unknown token from {}", socket.getRemoteSocketAddress());
                return;
            }
            ByteBuffer buf = ByteBuffer.allocate(SanWire.MAX_BLOCKS * Pages.SIZE);
            SanWire.Read r;
            while ((r = SanWire.Read.read(in)) != null) {
                if (r.first() + r.count() > s.blocks()) {
                    SanWire.writeFailure(out, "blocks " + r.first() + "+" + r.count() + " beyond the image's "
                            + s.blocks());
                    continue;
                }
                long latency = s.model().requestLatency().toNanos();
                if (latency > 0) {
                    LockSupport.parkNanos(latency); // the seek and round trip every request costs
                }
                int bytes = r.count() * Pages.SIZE;
                buf.clear().limit(bytes);
                while (buf.hasRemaining()) {
                    if (s.channel().read(buf, r.first() * Pages.SIZE + buf.position()) < 0) {
                        while (buf.hasRemaining()) {
                            buf.put((byte) 0); // the sparse tail of an image reads as zeros
                        }
                    }
                }
                s.rate().acquire(bytes);
                SanWire.writeDataHeader(out, r.count());
                out.write(buf.array(), 0, bytes);
                out.flush();
            }
        } catch (IOException e) {
            LOG.debug("SAN endpoint: connection ended: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Deactivate
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing the SAN endpoint: {}", e.toString());
        }
        sessions.keySet().forEach(this::forget);
    }
}
