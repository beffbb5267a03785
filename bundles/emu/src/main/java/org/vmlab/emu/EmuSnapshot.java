package org.vmlab.emu;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;

import org.vmlab.api.vm.VmSpec;
import org.vmlab.backend.support.snapshot.BadSnapshot;
import org.vmlab.backend.support.snapshot.SnapshotFormat;
import org.vmlab.backend.support.snapshot.SnapshotReader;
import org.vmlab.backend.support.snapshot.SparseUnits;

/**
 * The emu snapshot file, version 2, in the layout of {@link SnapshotFormat} (magic "VMLABEMU",
 * end marker "EMUSNAP."):
 * <pre>
 *   header: spec ({@link VmSpec#writeTo}), workload name (optional) and parameters
 *   body:   guest memory as {@link SparseUnits} (zero pages take one bit)
 *           long diskBlocks  int cached  (int frame, int block, boolean dirty) per cached page
 *           int reservations (long first, long count) each     int clockHand
 * </pre>
 * Version 1 had the same content but its header checksum left out the preamble.
 */
final class EmuSnapshot {
    static final SnapshotFormat FORMAT = new SnapshotFormat(EmuBackend.NAME,
            0x564D4C414245_4D55L /* "VMLABEMU" */, 2, 0x454D55534E41502EL /* "EMUSNAP." */);

    private EmuSnapshot() {
    }

    // ------------------------------------------------------------------ write

    static void write(EmuVm vm, Path file) {
        try {
            FORMAT.write(file, out -> writeHeader(out, vm.spec(), vm.workloadName(), vm.workloadParameters()),
                    out -> {
                        SparseUnits.write(vm.memory().pageCount(), out, SparseUnits.pagesOf(vm.memory()));
                        GuestOsCodec.write(vm.emuGuestOs().exportState(), vm.emuGuestOs().diskBlocks(), out);
                    });
        } catch (IOException e) {
            throw SnapshotFormat.writeFailure(file, vm.id(), e);
        }
    }

    private static void writeHeader(DataOutputStream out, VmSpec spec, String workload, Map<String, String> params)
            throws IOException {
        spec.writeTo(out);
        GuestOsCodec.writeOptional(out, workload);
        GuestOsCodec.writeMap(out, workload == null ? Map.of() : params);
    }

    // ------------------------------------------------------------------ read

    private record Header(VmSpec spec, String workload, Map<String, String> params) {
    }

    /** A VM in state CREATED; a damaged file creates nothing and fails with one sentence. */
    static EmuVm restore(EmuBackend backend, Path file) {
        try (SnapshotReader reader = FORMAT.open(file)) {
            Header h = reader.header(EmuSnapshot::readHeader);
            EmuVm vm = backend.create(h.spec(), EmuBackend.Mode.RESTORE, (memory, guestOs) -> {
                try {
                    DataInputStream in = reader.body();
                    readMemory(in, memory);
                    readGuestOs(in, guestOs);
                    reader.finish();
                } catch (IOException e) {
                    throw SnapshotFormat.readFailure(file, e); // past the backend's own IOException handling
                }
            });
            if (h.workload() != null) {
                vm.resumeWorkloadLater(h.workload(), h.params());
            }
            return vm;
        } catch (IOException e) {
            throw SnapshotFormat.readFailure(file, e);
        }
    }

    private static Header readHeader(DataInputStream in) throws IOException {
        VmSpec spec = VmSpec.readFrom(in);
        String workload = GuestOsCodec.readOptional(in);
        try {
            return new Header(spec, workload, GuestOsCodec.readMap(in));
        } catch (GuestOsCodec.BadState e) {
            throw new BadSnapshot(e.getMessage());
        }
    }

    private static void readMemory(DataInputStream in, EmuGuestMemory mem) throws IOException {
        SparseUnits.read(in, mem.pageCount(), "pages of memory", (pfn, page) ->
                mem.fillFromSnapshot(pfn, ByteBuffer.wrap(page)));
    }

    private static void readGuestOs(DataInputStream in, EmuGuestOs os) throws IOException {
        try {
            os.importState(GuestOsCodec.read(in, os));
        } catch (GuestOsCodec.BadState | IllegalArgumentException e) {
            throw new BadSnapshot(e.getMessage());
        }
    }
}
