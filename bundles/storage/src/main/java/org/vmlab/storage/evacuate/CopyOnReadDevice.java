package org.vmlab.storage.evacuate;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.vmlab.storage.block.BlockBitmap;
import org.vmlab.storage.block.ByteRangeStore;
import org.vmlab.storage.block.FileBlockDevice;
import org.vmlab.storage.nbd.NbdClient;

/**
 * A disk being moved here (xNBD's proxy): blocks the local cache holds are read locally, missing
 * ones are fetched from the source's NBD export on first access together with the next
 * {@code readAhead} missing blocks, and written into the cache. Writes land locally; a partial
 * write to a missing block fetches it first. Installing a fetched block and a local write of it
 * take the same per-block lock, so a late fetch never overwrites newer data. Once every block is
 * local the source is no longer needed ({@link #complete()}).
 */
public final class CopyOnReadDevice implements ByteRangeStore {
    private static final int BS = 4096;
    private static final int STRIPES = 256;

    private final FileBlockDevice local;
    private final BlockBitmap cached;
    private final List<NbdClient> sources;
    private final int readAhead;
    private final Object[] stripes = new Object[STRIPES];
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicLong onDemand = new AtomicLong();
    private final AtomicLong readAheadBlocks = new AtomicLong();
    private final AtomicLong background = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();
    private volatile IOException sourceFailure;

    public CopyOnReadDevice(FileBlockDevice local, BlockBitmap cached, List<NbdClient> sources, int readAhead) {
        if (cached.size() != local.blockCount()) {
            throw new IllegalArgumentException("bitmap of " + cached.size() + " blocks for a disk of "
                    + local.blockCount());
        }
        this.local = local;
        this.cached = cached;
        this.sources = List.copyOf(sources);
        this.readAhead = readAhead;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Object();
        }
    }

    public BlockBitmap bitmap() {
        return cached;
    }

    public boolean complete() {
        return cached.cardinality() == cached.size();
    }

    @Override
    public long size() {
        return local.size();
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public void readAt(long offset, ByteBuffer dst) throws IOException {
        long end = offset + dst.remaining();
        ensure(offset / BS, (end + BS - 1) / BS, true);
        local.readAt(offset, dst);
    }

    @Override
    public void writeAt(long offset, ByteBuffer src) throws IOException {
        long end = offset + src.remaining();
        long first = offset / BS;
        long last = (end - 1) / BS;
        // Partial blocks at the ends keep their other bytes: they must be here first.
        if (offset % BS != 0) {
            ensure(first, first + 1, true);
        }
        if (end % BS != 0) {
            ensure(last, last + 1, true);
        }
        for (long b = first; b <= last; b++) {
            synchronized (stripe(b)) {
                long from = Math.max(offset, b * BS);
                long to = Math.min(end, (b + 1) * BS);
                ByteBuffer part = src.slice(src.position() + (int) (from - offset), (int) (to - from));
                local.writeAt(from, part);
                cached.set(b);
            }
        }
        src.position(src.position() + (int) (end - offset));
    }

    @Override
    public void flush() throws IOException {
        local.flush();
    }

    /** Fetches the missing blocks of {@code [from, to)} (and, on demand, the read-ahead after them). */
    private void ensure(long from, long to, boolean demand) throws IOException {
        for (long b = cached.nextClear(from); b >= 0 && b < to; b = cached.nextClear(b + 1)) {
            long runEnd = b + 1;
            while (runEnd < to && !cached.get(runEnd)) {
                runEnd++;
            }
            long limit = Math.min(cached.size(), runEnd + (demand ? readAhead : 0));
            long ahead = runEnd;
            while (ahead < limit && !cached.get(ahead)) {
                ahead++;
            }
            fetch(b, (int) (ahead - b), demand ? (int) (runEnd - b) : 0).join();
            b = ahead - 1;
        }
        if (demand && cached.nextClear(from) >= 0 && cached.nextClear(from) < to) {
            throw failure();
        }
    }

    /**
     * Fetches {@code count} blocks from {@code first} on one source connection and installs the
     * ones still missing; the future fails only for a request that could not be sent.
     *
     * @param demanded how many of them a reader waits for (the rest is read-ahead or background)
     */
    CompletableFuture<Void> fetch(long first, int count, int demanded) throws IOException {
        IOException failed = sourceFailure;
        if (failed != null) {
            throw failed;
        }
        NbdClient c = sources.get(Math.floorMod(next.getAndIncrement(), sources.size()));
        ByteBuffer buf = ByteBuffer.allocate(count * BS);
        CompletableFuture<Void> f;
        try {
            f = c.readAsync(first * BS, buf);
        } catch (IOException e) {
            sourceFailure = e;
            throw e;
        }
        return f.handle((v, t) -> {
            if (t != null) {
                sourceFailure = t instanceof IOException io ? io : new IOException(t);
                return null;
            }
            bytesReceived.addAndGet((long) count * BS);
            for (int k = 0; k < count; k++) {
                long b = first + k;
                synchronized (stripe(b)) {
                    if (cached.get(b)) {
                        continue;
                    }
                    try {
                        local.writeAt(b * BS, buf.slice(k * BS, BS));
                    } catch (IOException e) {
                        sourceFailure = e;
                        return null;
                    }
                    cached.set(b);
                }
                (k < demanded ? onDemand : demanded > 0 ? readAheadBlocks : background).incrementAndGet();
            }
            return null;
        });
    }

    private IOException failure() {
        IOException f = sourceFailure;
        return new IOException("the source is gone and this block never arrived"
                + (f == null ? "" : " (" + f.getMessage() + ")"), f);
    }

    /** Why fetching stopped, or null. */
    public IOException sourceFailure() {
        return sourceFailure;
    }

    private Object stripe(long block) {
        return stripes[(int) (block % STRIPES)];
    }

    public long onDemand() {
        return onDemand.get();
    }

    public long readAhead() {
        return readAheadBlocks.get();
    }

    public long background() {
        return background.get();
    }

    public long bytesReceived() {
        return bytesReceived.get();
    }
}
