package org.vmlab.itests.karaf;

import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.rmi.server.RMISocketFactory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Keeps the Pax Exam test container and its driver on loopback and makes sure the container JVM
 * never outlives the JVM that started it.
 *
 * <p>Pax Exam talks to the Karaf container over RMI: a registry in the test JVM and the remote
 * bundle context exported in the container, both on the JVM's default socket factory, which
 * listens on every interface. {@link #loopbackRmi()} installs a process-wide
 * {@link RMISocketFactory} whose server sockets bind to 127.0.0.1 only.
 *
 * <p>Used twice: called directly in the test JVM before the container starts, and as a Java agent
 * ({@code -javaagent:<this module's jar>}) in the Karaf JVM, where it runs before any bundle, so
 * the remote bundle context is exported on loopback too. As an agent it also watches the JVM that
 * launched Karaf: if that one dies without stopping the container (killed, or crashed during a
 * failed container start), Karaf shuts itself down instead of lingering under target/exam.
 *
 * <p>{@link #removeStaleInstances(Path)} clears what such a run left behind: Pax Exam cannot
 * delete an instance folder while its Karaf is still stopping.
 */
public final class ContainerGuard {
    private static final long HALT_AFTER_SECONDS = 20;

    private ContainerGuard() {
    }

    /** Java agent entry point, in the container JVM. */
    public static void premain(String args, Instrumentation instrumentation) {
        loopbackRmi();
        exitWithParent();
    }

    /** RMI server sockets of this JVM listen on the loopback interface only. Idempotent. */
    public static synchronized void loopbackRmi() {
        if (RMISocketFactory.getSocketFactory() instanceof LoopbackSocketFactory) {
            return;
        }
        try {
            RMISocketFactory.setSocketFactory(new LoopbackSocketFactory());
        } catch (IOException e) {
            throw new IllegalStateException("an RMI socket factory is already installed: "
                    + RMISocketFactory.getSocketFactory(), e);
        }
    }

    /** Exits this JVM (gracefully, then by force) once the process that started it is gone. */
    static void exitWithParent() {
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> {
            System.err.println("[container-guard] parent process " + parent.pid() + " is gone; stopping Karaf");
            Thread halt = new Thread(() -> {
                try {
                    TimeUnit.SECONDS.sleep(HALT_AFTER_SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                Runtime.getRuntime().halt(3);
            }, "container-guard-halt");
            halt.setDaemon(true);
            halt.start();
            System.exit(3);
        }));
    }

    /**
     * Deletes the instance folders under {@code examDir} whose Karaf is no longer running, and
     * returns those it left because their Karaf still runs (another build on this folder).
     */
    public static List<Path> removeStaleInstances(Path examDir) throws IOException {
        List<Path> running = new ArrayList<>();
        if (!Files.isDirectory(examDir)) {
            return running;
        }
        List<Path> instances;
        try (Stream<Path> list = Files.list(examDir)) {
            instances = list.filter(Files::isDirectory).toList();
        }
        for (Path instance : instances) {
            if (karafRunningIn(instance)) {
                running.add(instance);
                continue;
            }
            try (Stream<Path> walk = Files.walk(instance)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        return running;
    }

    private static boolean karafRunningIn(Path instance) {
        Path pidFile = instance.resolve("karaf.pid");
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile).trim());
        } catch (IOException | NumberFormatException e) {
            return false;
        }
        String base = "-Dkaraf.base=" + instance.toAbsolutePath();
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        return process.isPresent() && process.get().isAlive()
                && process.get().info().arguments().map(args -> Stream.of(args).anyMatch(base::equals)).orElse(true);
    }

    static final class LoopbackSocketFactory extends RMISocketFactory {
        private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return new Socket(host, port);
        }

        @Override
        public ServerSocket createServerSocket(int port) throws IOException {
            return new ServerSocket(port, 0, LOOPBACK);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof LoopbackSocketFactory;
        }

        @Override
        public int hashCode() {
            return LoopbackSocketFactory.class.hashCode();
        }
    }
}
