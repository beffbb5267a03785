package org.vmlab.pagecache;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.vmlab.api.VmlabException;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.pagecache.SanModel;
import org.vmlab.api.pagecache.SanSession;

/**
 * A session on the SAN endpoint: one connection per request in flight (the model's queue depth),
 * adjacent blocks coalesced into one request of at most the model's request size, so scattered
 * blocks cost a request each and sequential ones few.
 */
final class SanClient implements SanSession {

    /** One connection, used by one request at a time. */
    private record Conn(Socket socket, DataInputStream in, DataOutputStream out) {
    }

    private final SanModel model;
    private final Runnable onClose;
    private final BlockingQueue<Conn> idle;
    private final List<Conn> all = new ArrayList<>();
    private final ExecutorService workers;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private volatile boolean closed;

    SanClient(InetSocketAddress endpoint, byte[] token, SanModel model, Runnable onClose) throws IOException {
        this.model = model;
        this.onClose = onClose;
        this.idle = new ArrayBlockingQueue<>(model.queueDepth());
        try {
            for (int i = 0; i < model.queueDepth(); i++) {
                Socket s = new Socket();
                s.connect(endpoint, 10_000);
                s.setTcpNoDelay(true);
                s.setSoTimeout(60_000);
                Conn c = new Conn(s, new DataInputStream(new BufferedInputStream(s.getInputStream(), 1 << 16)),
                        new DataOutputStream(new BufferedOutputStream(s.getOutputStream())));
                new SanWire.Hello(token).write(c.out());
                all.add(c);
                idle.add(c);
            }
        } catch (IOException e) {
            closeSockets();
            throw e;
        }
        workers = Executors.newFixedThreadPool(model.queueDepth(), r -> {
            Thread t = new Thread(r, "vmlab-san-client");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void read(long[] blocks, int from, int to, ByteBuffer dst) {
        if (closed) {
            throw new VmlabException("SAN session closed");
        }
        List<Future<?>> runs = new ArrayList<>();
        int start = from;
        while (start < to) {
            int end = start + 1;
            while (end < to && end - start < Math.min(model.maxRequestBlocks(), SanWire.MAX_BLOCKS)
                    && blocks[end] == blocks[end - 1] + 1) {
                end++;
            }
            long first = blocks[start];
            int count = end - start;
            ByteBuffer slice = dst.slice(dst.position() + (start - from) * Pages.SIZE, count * Pages.SIZE);
            runs.add(workers.submit(() -> {
                request(first, count, slice);
                return null;
            }));
            start = end;
        }
        for (Future<?> f : runs) {
            try {
                f.get();
            } catch (ExecutionException e) {
                runs.forEach(r -> r.cancel(true));
                Throwable c = e.getCause();
                throw c instanceof VmlabException v ? v : new VmlabException("SAN read failed: " + c.getMessage(), c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                runs.forEach(r -> r.cancel(true));
                throw new VmlabException("interrupted while reading from the SAN");
            }
        }
    }

    private void request(long first, int count, ByteBuffer into) throws IOException, InterruptedException {
        Conn c = idle.poll(60, TimeUnit.SECONDS);
        if (c == null || closed) {
            throw new IOException(closed ? "SAN session closed" : "no SAN connection free for 60 s");
        }
        boolean ok = false;
        try {
            new SanWire.Read(first, count).write(c.out());
            SanWire.readAnswer(c.in(), count);
            byte[] data = new byte[count * Pages.SIZE];
            c.in().readFully(data);
            into.duplicate().put(data);
            bytes.addAndGet((long) count * Pages.SIZE);
            requests.incrementAndGet();
            ok = true;
        } finally {
            if (ok) {
                idle.add(c);
            } else {
                close(); // a connection in an unknown state: the session is broken, callers fall back
            }
        }
    }

    @Override
    public long bytesRead() {
        return bytes.get();
    }

    @Override
    public long requests() {
        return requests.get();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        workers.shutdownNow();
        closeSockets();
        onClose.run();
    }

    private void closeSockets() {
        for (Conn c : all) {
            try {
                c.socket().close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
