package org.vmlab.workloads;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A single-producer single-consumer byte stream in shared memory, used like a non-blocking socket:
 * writes take what fits, reads take what is there. Layout: {@code head} (bytes ever written) at 0,
 * {@code tail} (bytes ever read) at 64, the reader's {@code epoch} at 128 (bumped each time the
 * reader (re)opens and drops what was left, so the writer knows to resend), data from 192.
 */
final class ShmRing {
    private static final int HEAD = 0;
    private static final int TAIL = 64;
    private static final int EPOCH = 128;
    private static final int DATA = 192;
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private final ByteBuffer mem;
    private final int capacity;

    ShmRing(ByteBuffer mem) {
        this.mem = mem;
        this.capacity = mem.capacity() - DATA;
    }

    /** Writes what fits of {@code srcs}, in order; returns the bytes written. */
    long write(ByteBuffer[] srcs) {
        long head = (long) LONGS.getOpaque(mem, HEAD);
        long tail = (long) LONGS.getAcquire(mem, TAIL);
        long free = capacity - (head - tail);
        long written = 0;
        for (ByteBuffer src : srcs) {
            while (src.hasRemaining() && free > 0) {
                int at = (int) (head % capacity);
                int n = (int) Math.min(Math.min(src.remaining(), free), capacity - at);
                mem.put(DATA + at, src, src.position(), n);
                src.position(src.position() + n);
                head += n;
                free -= n;
                written += n;
            }
        }
        if (written > 0) {
            LONGS.setRelease(mem, HEAD, head);
        }
        return written;
    }

    /** Reads what is there into {@code dst}; returns the bytes read (0 when empty). */
    int read(ByteBuffer dst) {
        long tail = (long) LONGS.getOpaque(mem, TAIL);
        long head = (long) LONGS.getAcquire(mem, HEAD);
        int total = 0;
        while (dst.hasRemaining() && head > tail) {
            int at = (int) (tail % capacity);
            int n = (int) Math.min(Math.min(dst.remaining(), head - tail), capacity - at);
            dst.put(dst.position(), mem, DATA + at, n);
            dst.position(dst.position() + n);
            tail += n;
            total += n;
        }
        if (total > 0) {
            LONGS.setRelease(mem, TAIL, tail);
        }
        return total;
    }

    /** The reader (re)opens: drops what is left and bumps the epoch so the writer resends. */
    void reopenReader() {
        LONGS.setRelease(mem, TAIL, (long) LONGS.getAcquire(mem, HEAD));
        LONGS.getAndAdd(mem, EPOCH, 1L);
    }

    long epoch() {
        return (long) LONGS.getAcquire(mem, EPOCH);
    }
}
