package org.vmlab.transport;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What crosses one socket: every byte written goes through the link's rate limiter first and is
 * then counted, every byte read is counted. Sitting directly on the socket's streams, it sees the
 * whole TCP payload: the handshake, frame headers and payloads and, with TLS, TLS's own handshake
 * and record overhead.
 */
final class Wire {
    final AtomicLong sent = new AtomicLong();
    final AtomicLong received = new AtomicLong();
    private final RateLimiter limiter;
    /** When the socket write in progress started, 0 if none (for the stuck-write watchdog). */
    volatile long writeStartNanos;

    Wire(RateLimiter limiter) {
        this.limiter = limiter == null ? RateLimiter.unlimited() : limiter;
    }

    OutputStream out(OutputStream raw) {
        return new FilterOutputStream(raw) {
            @Override
            public void write(int b) throws IOException {
                write(new byte[]{(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (len <= 0) {
                    return;
                }
                try {
                    limiter.acquire(len);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new TransportException("interrupted while sending", e);
                }
                // Only the socket write itself counts as stuck, not the wait for the rate limit.
                writeStartNanos = System.nanoTime();
                try {
                    out.write(b, off, len);
                } finally {
                    writeStartNanos = 0;
                }
                sent.addAndGet(len);
            }
        };
    }

    InputStream in(InputStream raw) {
        return new FilterInputStream(raw) {
            @Override
            public int read() throws IOException {
                int b = in.read();
                if (b >= 0) {
                    received.incrementAndGet();
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, len);
                if (n > 0) {
                    received.addAndGet(n);
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                long k = in.skip(n);
                received.addAndGet(Math.max(0, k));
                return k;
            }
        };
    }
}
