package org.vmlab.kvs;

import java.io.IOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One worker thread with its own selector, serving the connections the acceptor hands it. */
final class Worker implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);

    private final KvsServerImpl server;
    private final Selector selector;
    private final ConcurrentLinkedQueue<SocketChannel> incoming = new ConcurrentLinkedQueue<>();
    private final Set<Connection> stalled = new java.util.HashSet<>();
    private final Thread thread;
    private volatile boolean running = true;

    Worker(KvsServerImpl server, int index) throws IOException {
        this.server = server;
        this.selector = Selector.open();
        this.thread = new Thread(this, "vmlab-kvs-" + server.id() + "-worker-" + index);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    void hand(SocketChannel ch) {
        incoming.add(ch);
        selector.wakeup();
    }

    void stall(Connection c) {
        stalled.add(c);
    }

    @Override
    public void run() {
        while (running) {
            try {
                selector.select(stalled.isEmpty() ? 0 : 20);
                register();
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    serve(k);
                }
                if (!stalled.isEmpty()) {
                    List<Connection> again = new ArrayList<>(stalled);
                    stalled.clear();
                    for (Connection c : again) {
                        c.retry();
                    }
                }
            } catch (IOException | RuntimeException e) {
                if (running) {
                    LOG.warn("kvs {} worker: {}", server.id(), e.toString());
                }
            }
        }
        for (SelectionKey k : selector.keys()) {
            if (k.attachment() instanceof Connection c) {
                c.closeNow();
            }
        }
        try {
            selector.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    private void register() throws IOException {
        SocketChannel ch;
        while ((ch = incoming.poll()) != null) {
            ch.configureBlocking(false);
            ch.socket().setTcpNoDelay(true);
            Connection c = new Connection(ch, server, this);
            c.attach(ch.register(selector, SelectionKey.OP_READ, c));
        }
    }

    private void serve(SelectionKey k) {
        Connection c = (Connection) k.attachment();
        try {
            if (k.isValid() && k.isWritable()) {
                c.flush();
            }
            if (k.isValid() && k.isReadable()) {
                c.onReadable();
            }
        } catch (IOException | CancelledKeyException e) {
            c.closeNow(); // the client went away
        } catch (RuntimeException e) {
            LOG.warn("kvs {}: a command failed; closing its connection: {}", server.id(), e.toString());
            c.closeNow();
        }
    }

    void stop() {
        running = false;
        selector.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
