package org.vmlab.experiment.action;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.vmlab.api.VmlabException;

/** Debian's memcached as the baseline server: on 127.0.0.1 at a free port, stopped by its pid. */
final class MemcachedProcess implements AutoCloseable {
    private static final List<Path> PLACES = List.of(Path.of("/usr/bin/memcached"), Path.of("/usr/local/bin/memcached"));

    private final Process process;
    private final InetSocketAddress address;

    private MemcachedProcess(Process process, InetSocketAddress address) {
        this.process = process;
        this.address = address;
    }

    static Optional<Path> binary() {
        return PLACES.stream().filter(Files::isExecutable).findFirst();
    }

    /** Starts memcached with {@code megabytes} of item memory and {@code threads} workers; returns once it listens. */
    static MemcachedProcess start(long megabytes, int threads) throws IOException, InterruptedException {
        Path bin = binary().orElseThrow(() -> new VmlabException("memcached is not installed (apt-get install memcached)"));
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Process p = new ProcessBuilder(bin.toString(), "-l", "127.0.0.1", "-p", Integer.toString(port), "-U", "0",
                "-t", Integer.toString(threads), "-m", Long.toString(megabytes), "-u", System.getProperty("user.name"))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        MemcachedProcess m = new MemcachedProcess(p, new InetSocketAddress("127.0.0.1", port));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new VmlabException("memcached exited at once with status " + p.exitValue());
            }
            try (Socket s = new Socket()) {
                s.connect(m.address, 200);
                return m;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        m.close();
        throw new VmlabException("memcached did not listen on " + m.address + " within 10 s");
    }

    InetSocketAddress address() {
        return address;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
