package org.vmlab.engines;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP proxy that forwards to a target and, once {@code budget} bytes have gone from
 * clients to the target (over all connections), either cuts every connection or freezes (stops
 * forwarding but keeps the sockets open, like a hung peer).
 */
final class CutProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int targetPort;
    private final AtomicLong budget;
    private final boolean freeze;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean tripped;

    CutProxy(int targetPort, long budget, boolean freeze) throws IOException {
        this.targetPort = targetPort;
        this.budget = new AtomicLong(budget);
        this.freeze = freeze;
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "cut-proxy");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    boolean tripped() {
        return tripped;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket c = server.accept();
                Socket t = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                sockets.add(c);
                sockets.add(t);
                pump(c, t, true);
                pump(t, c, false);
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to, boolean counted) {
        Thread th = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                while (true) {
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    if (tripped) {
                        if (freeze) {
                            hang();
                        }
                        return;
                    }
                    if (counted) {
                        long left = budget.addAndGet(-n);
                        if (left < 0) {
                            int pass = (int) Math.max(0, n + left);
                            out.write(buf, 0, pass);
                            out.flush();
                            trip();
                            if (freeze) {
                                hang();
                            }
                            return;
                        }
                    }
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                // connection ends
            }
            closeQuietly(to);
        }, "cut-proxy-pump");
        th.setDaemon(true);
        th.start();
    }

    private void hang() {
        while (!server.isClosed()) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void trip() {
        tripped = true;
        if (!freeze) {
            for (Socket s : sockets) {
                closeQuietly(s);
            }
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            closeQuietly(s);
        }
    }
}
