package org.vmlab.storage.evacuate;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.vmlab.api.storage.EvacuationPlan;
import org.vmlab.api.storage.EvacuationReport;
import org.vmlab.storage.block.BlockBitmap;
import org.vmlab.storage.nbd.NbdClient;

/**
 * The background half of an evacuation (xNBD's cache-all): fetches every block still missing, in
 * 1 MiB requests with many in flight on every source connection (a long fat link needs bytes in
 * flight), while readers of the served disk fetch what they touch first. Then the optional
 * verification against the source, then the switch (the source connections close).
 */
public final class Evacuation {
    private static final int BATCH = 256;
    private static final int IN_FLIGHT_PER_STREAM = 48;

    private final EvacuationPlan plan;
    private final CopyOnReadDevice device;
    private final List<NbdClient> sources;
    private final long localAtStart;
    private final Verifier verifier;

    /** Compares the disk here with the source's, through one of the source connections. */
    @FunctionalInterface
    public interface Verifier {
        boolean matches(NbdClient source) throws IOException;
    }

    public Evacuation(EvacuationPlan plan, CopyOnReadDevice device, List<NbdClient> sources) {
        this(plan, device, sources, null);
    }

    /** With {@code verifier} (non-null), it verifies the disk instead of the whole-disk comparison. */
    public Evacuation(EvacuationPlan plan, CopyOnReadDevice device, List<NbdClient> sources, Verifier verifier) {
        this.verifier = verifier;
        this.plan = plan;
        this.device = device;
        this.sources = List.copyOf(sources);
        this.localAtStart = device.bitmap().cardinality();
    }

    public CopyOnReadDevice device() {
        return device;
    }

    /** Fills, verifies if asked, switches; {@code progress} gets a line about every second. */
    public EvacuationReport run(Consumer<String> progress) {
        long t0 = System.nanoTime();
        BlockBitmap bits = device.bitmap();
        ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
        int window = IN_FLIGHT_PER_STREAM * sources.size();
        long cursor = 0;
        long lastReport = t0;
        String status = "completed";
        try {
            while (device.sourceFailure() == null) {
                long b = bits.nextClear(cursor);
                if (b < 0) {
                    if (inFlight.isEmpty() && bits.nextClear(0) < 0) {
                        break;
                    }
                    if (inFlight.isEmpty()) {
                        cursor = 0; // a reader's fetch was still installing; look again
                        continue;
                    }
                } else {
                    int n = 1;
                    while (n < BATCH && b + n < bits.size() && !bits.get(b + n)) {
                        n++;
                    }
                    inFlight.add(device.fetch(b, n, 0));
                    cursor = b + n;
                    if (inFlight.size() < window) {
                        continue;
                    }
                }
                inFlight.poll().join();
                long now = System.nanoTime();
                if (now - lastReport > 1_000_000_000L) {
                    lastReport = now;
                    progress.accept(String.format("%d of %d blocks here (%.1f%%), %d MiB fetched",
                            bits.cardinality(), bits.size(), 100.0 * bits.cardinality() / bits.size(),
                            device.bytesReceived() >> 20));
                }
            }
            inFlight.forEach(CompletableFuture::join);
            if (device.sourceFailure() != null) {
                status = "failed: the source was lost (" + device.sourceFailure().getMessage() + ")";
            }
            device.flush();
            bits.force();
        } catch (IOException | RuntimeException e) {
            status = "failed: " + e.getMessage();
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        Boolean verified = null;
        if ((plan.verify() || verifier != null) && status.equals("completed")) {
            progress.accept("verifying the whole disk against the source");
            verified = verifier != null ? matches(verifier) : verify();
            if (!verified) {
                status = "failed: the disk differs from the source's";
            }
        }
        sources.forEach(NbdClient::close); // the switch: the source is no longer needed
        long missing = bits.size() - bits.cardinality();
        return new EvacuationReport(status, millis, bits.size(), localAtStart, device.onDemand(),
                device.readAhead(), device.background(), missing, missingRanges(bits, 20), device.bytesReceived(),
                verified);
    }

    private boolean matches(Verifier v) {
        try {
            return v.matches(sources.get(0));
        } catch (IOException e) {
            return false;
        }
    }

    private boolean verify() {
        int chunk = 1 << 20;
        byte[] mine = new byte[chunk];
        byte[] theirs = new byte[chunk];
        try {
            for (long off = 0; off < device.size(); off += chunk) {
                int n = (int) Math.min(chunk, device.size() - off);
                sources.get(0).read(off, ByteBuffer.wrap(theirs, 0, n));
                device.readAt(off, ByteBuffer.wrap(mine, 0, n));
                if (!Arrays.equals(mine, 0, n, theirs, 0, n)) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The first {@code max} runs of missing blocks as "first-last". */
    static List<String> missingRanges(BlockBitmap bits, int max) {
        List<String> out = new ArrayList<>();
        for (long b = bits.nextClear(0); b >= 0 && out.size() < max; ) {
            long e = bits.nextSet(b);
            long last = (e < 0 ? bits.size() : e) - 1;
            out.add(b == last ? Long.toString(b) : b + "-" + last);
            b = e < 0 ? -1 : bits.nextClear(e);
        }
        return out;
    }
}
