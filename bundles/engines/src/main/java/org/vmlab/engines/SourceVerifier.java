package org.vmlab.engines;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.workload.InvariantResult;
import org.vmlab.api.workload.MemoryInvariant;
import org.vmlab.api.workload.WorkloadRun;
import org.vmlab.transport.Frame;
import org.vmlab.transport.TransportException;

/**
 * The source's side of {@code --verify}: compares the destination's page hashes with the paused
 * source's memory, byte for byte as well when the destination VM is on this node, and checks the
 * workload's invariant. Instrumentation, not mechanism: its time is not downtime.
 */
final class SourceVerifier {
    /** A source of frames from the destination (the control connection, or the postcopy reader's inbox). */
    interface FrameSource {
        Frame next() throws IOException;
    }

    private final Vm vm;
    private final GuestMemory memory;
    /** The destination VM when it is on this node. */
    private final Optional<Vm> local;

    SourceVerifier(Vm vm, Optional<Vm> localDestination) {
        this.vm = vm;
        this.memory = vm.memory();
        this.local = localDestination;
    }

    /**
     * Reads the destination's HASHES up to VERIFY_READY and compares.
     *
     * @param postcopy whether the destination has run since (then only hashes of the pages as its
     *                 guest first saw them, and the invariant on the paused source, are compared)
     * @return why the destination differs, or {@code null} if it does not
     */
    String verify(FrameSource frames, boolean postcopy) throws IOException {
        long pageCount = memory.pageCount();
        long[] theirs = new long[(int) pageCount];
        BitSet got = new BitSet();
        while (true) {
            Frame f = frames.next();
            FrameType t = FrameType.of(f.type());
            if (t == FrameType.VERIFY_READY) {
                break;
            }
            if (t != FrameType.HASHES) {
                throw new TransportException("expected HASHES, got " + t);
            }
            Messages.Hashes.readInto(f, theirs, got);
        }
        if (got.cardinality() != pageCount) {
            return "destination sent hashes of " + got.cardinality() + " of " + pageCount + " pages";
        }
        List<Long> badPages = new ArrayList<>();
        long bad = 0;
        for (long pfn = 0; pfn < pageCount; pfn++) {
            if (memory.pageHash(pfn) != theirs[(int) pfn]) {
                bad++;
                if (badPages.size() < 10) {
                    badPages.add(pfn);
                }
            }
        }
        if (bad > 0) {
            return bad + " pages differ between source and destination, first " + badPages;
        }
        if (!postcopy) {
            String differ = compareBytesIfLocal();
            if (differ != null) {
                return differ;
            }
        }
        return invariant(postcopy);
    }

    /** The hashes already matched; this leaves not even a collision. */
    private String compareBytesIfLocal() {
        if (local.isEmpty()) {
            return null;
        }
        GuestMemory theirs = local.get().memory();
        ByteBuffer a = ByteBuffer.allocateDirect(Pages.SIZE);
        ByteBuffer b = ByteBuffer.allocateDirect(Pages.SIZE);
        for (long pfn = 0; pfn < memory.pageCount(); pfn++) {
            a.clear();
            b.clear();
            memory.readPage(pfn, a);
            theirs.readPage(pfn, b);
            if (!a.flip().equals(b.flip())) {
                return "page " + pfn + " differs byte for byte between source and destination although its hash matched";
            }
        }
        return null;
    }

    /**
     * Precopy: the destination's own memory when it is on this node, else the paused source's
     * (equal page for page, as the hashes just showed). Postcopy: the paused source's, since the
     * destination has run meanwhile.
     */
    private String invariant(boolean postcopy) {
        Optional<MemoryInvariant> inv = vm.workload().flatMap(WorkloadRun::invariant);
        if (inv.isEmpty()) {
            return null;
        }
        GuestMemory target = postcopy ? memory : local.map(Vm::memory).orElse(memory);
        InvariantResult r = inv.get().check(target);
        return r.holds() ? null : "the workload invariant fails on the destination: " + r.detail() + " (pages "
                + r.firstBadPages() + ")";
    }
}
