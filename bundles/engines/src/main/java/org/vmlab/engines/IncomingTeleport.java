package org.vmlab.engines;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.pagecache.SanSession;
import org.vmlab.api.pagecache.SharedStorage;
import org.vmlab.api.vm.Vm;
import org.vmlab.transport.TransportException;

/**
 * The destination's side of the page-cache teleport: reads the named blocks from shared storage
 * and places each in its frame only if it hashes as the source's frame did, so a wrong map entry
 * (or a page the guest changed) never lands; those are named back and cross the network.
 */
final class IncomingTeleport implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IncomingTeleport.class);
    private static final XXHash64 XXH64 = XXHashFactory.fastestInstance().hash64();

    /** Where a page read from shared storage goes: the session's round-aware page install. */
    interface PageSink {
        void place(long pfn, ByteBuffer content);
    }

    private final String migrationId;
    private final Vm vm;
    private final PageSink sink;
    private volatile SanSession session;
    private long pagesPlaced;
    private long mismatches;

    IncomingTeleport(String migrationId, Vm vm, PageSink sink) {
        this.migrationId = migrationId;
        this.vm = vm;
        this.sink = sink;
    }

    /** Opens the SAN path on the VM's disk image. */
    void open(Optional<SharedStorage> storage, TeleportMessages.SanOpen open) throws TransportException {
        if (session != null) {
            throw new TransportException("SAN_OPEN twice");
        }
        Path image = vm.spec().diskImage();
        if (image == null) {
            throw new TransportException("the destination VM has no disk image to read page cache from");
        }
        SharedStorage s = storage.orElseThrow(() -> new TransportException(
                "no SAN endpoint (shared storage service) on the destination"));
        try {
            session = s.open(image, open.model());
        } catch (RuntimeException e) {
            throw new TransportException("destination cannot open the SAN path: " + e.getMessage(), e);
        }
        LOG.info("migration {}: SAN path open on {} ({}, {} us a request, depth {})", migrationId, image,
                open.model().rate(), open.model().requestLatency().toNanos() / 1000, open.model().queueDepth());
    }

    /** Reads one batch and places what matches; returns the SAN bytes and the mismatched frames. */
    TeleportMessages.Teleported serve(TeleportMessages.Teleport t) throws TransportException {
        if (session == null) {
            throw new TransportException("TELEPORT before SAN_OPEN (or after the session ended)");
        }
        SanSession san = session;
        int n = t.pfns().length;
        ByteBuffer buf = ByteBuffer.allocate(n * Pages.SIZE);
        long before = san.bytesRead();
        try {
            san.read(t.blocks(), 0, n, buf);
        } catch (RuntimeException e) {
            throw new TransportException(e.getMessage(), e); // one sentence from the SAN client already
        }
        long[] bad = new long[n];
        int nb = 0;
        for (int i = 0; i < n; i++) {
            if (XXH64.hash(buf, i * Pages.SIZE, Pages.SIZE, 0) == t.hashes()[i]) {
                sink.place(t.pfns()[i], buf.slice(i * Pages.SIZE, Pages.SIZE));
                pagesPlaced++;
            } else {
                bad[nb++] = t.pfns()[i];
            }
        }
        mismatches += nb;
        return new TeleportMessages.Teleported(san.bytesRead() - before, Arrays.copyOf(bad, nb));
    }

    /** Closes the SAN path; safe from any thread (a failing data stream ends the session). */
    @Override
    public void close() {
        SanSession s = session;
        session = null;
        if (s != null) {
            s.close();
            LOG.info("migration {}: SAN path closed: {} pages placed, {} mismatched", migrationId, pagesPlaced,
                    mismatches);
        }
    }
}
