package org.vmlab.storage.evacuate;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.VmlabException;
import org.vmlab.api.storage.EvacuationPlan;
import org.vmlab.api.storage.EvacuationReport;
import org.vmlab.storage.block.BlockBitmap;
import org.vmlab.storage.block.FileBlockDevice;
import org.vmlab.storage.block.RangeBlockDevice;
import org.vmlab.storage.nbd.Nbd;
import org.vmlab.storage.nbd.NbdClient;
import org.vmlab.storage.nbd.NbdMessages;

/**
 * The disk of a VM that arrived with its storage: a {@link CopyOnReadDevice} seen as the VM's
 * {@link org.vmlab.api.storage.BlockDevice}. Nothing is fetched before the VM first touches its disk here, i.e. after
 * the source paused, so no fetched block can go stale. That first access asks the source which
 * blocks it wrote since the migration began (its export's {@code vmlab:cached} context clears
 * them), forgets the local copies of those (a pre-cache's may be older), then starts the background
 * fill; verification then compares every block with the source's frozen disk, except the ones the
 * VM has written here since (newer than the source's by definition, and counted).
 */
public final class MigratingDisk extends RangeBlockDevice {
    private static final Logger LOG = LoggerFactory.getLogger(MigratingDisk.class);
    private static final int BS = BLOCK_SIZE;

    private final String vm;
    private final EvacuationPlan plan;
    private final FileBlockDevice local;
    private final BlockBitmap cached;
    private final BlockBitmap writtenHere;
    private final List<NbdClient> sources;
    private final CopyOnReadDevice device;
    private final CompletableFuture<EvacuationReport> result = new CompletableFuture<>();
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile Thread filler;
    private volatile boolean closed;

    public MigratingDisk(String vm, EvacuationPlan plan, FileBlockDevice local, BlockBitmap cached,
                         List<NbdClient> sources) {
        this.vm = vm;
        this.plan = plan;
        this.local = local;
        this.cached = cached;
        this.writtenHere = BlockBitmap.inMemory(local.blockCount());
        this.sources = List.copyOf(sources);
        this.device = new CopyOnReadDevice(local, cached, sources, plan.readAhead());
    }

    /** The disk's move, complete once every block is here (and verified, if asked). */
    public CompletableFuture<EvacuationReport> result() {
        return result;
    }

    /** Drops stale local copies, then starts the background fill; the first access does it too. Idempotent. */
    public synchronized void start() {
        if (started.get()) {
            return;
        }
        dropStale();
        started.set(true);
        Thread t = new Thread(this::fill, "vmlab-storage-fill-" + vm);
        t.setDaemon(true);
        filler = t;
        t.start();
    }

    /** Blocks the source wrote since the migration began are not the local copy's any more. */
    private void dropStale() {
        if (cached.cardinality() == 0) {
            return;
        }
        long before = cached.cardinality();
        try (NbdClient c = NbdClient.connect(plan.source().host(), plan.source().port(), plan.sourceExport(),
                List.of(Nbd.VMLAB_CACHED), 4, 10_000)) {
            long off = 0;
            while (off < local.size()) {
                int len = (int) Math.min(1L << 30, local.size() - off);
                long pos = off;
                for (NbdMessages.Extent e : c.blockStatus(Nbd.VMLAB_CACHED, off, len)) {
                    if ((e.state() & Nbd.STATE_CACHED) == 0) {
                        cached.clearRange(pos / BS, Math.min(cached.size(), (pos + e.length() + BS - 1) / BS));
                    }
                    pos += e.length();
                }
                if (pos <= off) {
                    throw new IOException("the source answered no extent at offset " + off);
                }
                off = pos;
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("VM '{}' disk: cannot learn what the source wrote lately ({}); fetching every block", vm,
                    e.getMessage());
            cached.clearRange(0, cached.size());
        }
        LOG.info("VM '{}' disk: {} blocks here already, {} dropped as written at the source since", vm,
                cached.cardinality(), before - cached.cardinality());
    }

    private void fill() {
        EvacuationPlan noVerify = new EvacuationPlan(plan.source(), plan.sourceExport(), plan.image(), plan.bitmap(),
                plan.export(), plan.readAhead(), plan.streams(), false, plan.link());
        EvacuationReport r;
        try {
            r = new Evacuation(noVerify, device, sources, plan.verify() ? this::verify : null)
                    .run(line -> LOG.info("VM '{}' disk: {}", vm, line));
        } catch (RuntimeException e) {
            r = new EvacuationReport("failed: " + e.getMessage(), 0, cached.size(), 0, 0, 0, 0,
                    cached.size() - cached.cardinality(), List.of(), 0, null);
        }
        LOG.info("VM '{}' disk: {}; {} blocks fetched on demand, {} read ahead, {} by the background fill",
                vm, r.status(), r.blocksOnDemand(), r.blocksReadAhead(), r.blocksBackground());
        result.complete(r);
    }

    /**
     * Every block the VM has not written here equals the source's; the source is paused or gone,
     * so its disk no longer changes. A block written here meanwhile is set in {@code writtenHere}
     * before its write, so a difference it causes is not counted.
     */
    private boolean verify(NbdClient source) throws IOException {
        int chunk = 1 << 20;
        byte[] mine = new byte[chunk];
        byte[] theirs = new byte[chunk];
        for (long off = 0; off < local.size(); off += chunk) {
            int n = (int) Math.min(chunk, local.size() - off);
            source.read(off, ByteBuffer.wrap(theirs, 0, n));
            local.readAt(off, ByteBuffer.wrap(mine, 0, n));
            for (int b = 0; b < n; b += BS) {
                long block = (off + b) / BS;
                if (!Arrays.equals(mine, b, b + BS, theirs, b, b + BS) && !writtenHere.get(block)) {
                    LOG.warn("VM '{}' disk: block {} differs from the source's", vm, block);
                    return false;
                }
            }
        }
        return true;
    }

    /** Blocks the VM wrote here since it arrived. */
    public long blocksWrittenHere() {
        return writtenHere.cardinality();
    }

    @Override
    public long size() {
        return local.size();
    }

    @Override
    protected String describe() {
        return "the disk of VM '" + vm + "'";
    }

    @Override
    public void readAt(long offset, ByteBuffer dst) throws IOException {
        if (!started.get()) {
            start();
        }
        device.readAt(offset, dst);
    }

    @Override
    public void writeAt(long offset, ByteBuffer src) throws IOException {
        if (!started.get()) {
            start();
        }
        long end = offset + src.remaining();
        writtenHere.setRange(offset / BS, (end + BS - 1) / BS); // before the write: see verify()
        device.writeAt(offset, src);
        written(offset, end);
    }

    @Override
    public void flush() {
        try {
            device.flush();
        } catch (IOException e) {
            throw new VmlabException("VM '" + vm + "' disk flush: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Path> path() {
        return Optional.of(plan.image());
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    /** Ends fetching (a fill still running fails, naming the blocks it never got) and closes the image. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        sources.forEach(NbdClient::close);
        Thread t = filler;
        if (t != null) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        result.complete(new EvacuationReport("failed: the VM's disk was closed before it was complete", 0,
                cached.size(), 0, 0, 0, 0, cached.size() - cached.cardinality(),
                Evacuation.missingRanges(cached, 20), device.bytesReceived(), null));
        cached.close();
        local.close();
    }
}
