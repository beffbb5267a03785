package org.vmlab.qemu;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.vmlab.api.memory.Pages;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.backend.support.snapshot.BadSnapshot;

/**
 * The header of a qemu snapshot ({@link QemuSnapshot}): what must be known before any QEMU starts.
 *
 * @param spec          the VM's spec
 * @param accelerator   {@code kvm} or {@code tcg}: QEMU's device state does not cross them
 * @param ramBytes      the RAM file's size, which may exceed the spec's memory (QEMU workarounds)
 * @param disk          how the body keeps the guest's disk
 * @param diskBytes     the disk's size when the snapshot was taken
 * @param workloadState what the workload view needs again (memwork's nonce and page count)
 * @param takenMillis   when the snapshot was taken
 */
record QemuSnapshotHeader(VmSpec spec, String accelerator, long ramBytes, DiskKind disk, long diskBytes,
                          Map<String, String> workloadState, long takenMillis) {
    /** Workload state keys: the memwork run's nonce (hex) and page count. */
    static final String MEMWORK_NONCE = "memwork.nonce";
    static final String MEMWORK_PAGES = "memwork.pages";
    /** The private disk copy in a run folder (see QemuProcess.Launch.diskIn). */
    static final String DISK_COPY = "disk.img";

    /** How a snapshot keeps the guest's disk. */
    enum DiskKind {
        /** The VM has no disk. */
        NONE,
        /** The spec's own disk image, used in place by the VM: recorded by path and size. */
        OWN,
        /** The private copy of the shared image in the run folder: included in the body. */
        COPY
    }

    QemuSnapshotHeader {
        workloadState = Map.copyOf(workloadState);
    }

    /** The header of a snapshot of {@code vm} taken now. */
    static QemuSnapshotHeader of(QemuVm vm) throws IOException {
        VmSpec spec = vm.spec();
        DiskKind kind;
        long diskBytes = 0;
        Path copy = vm.process().runDir().resolve(DISK_COPY);
        if (spec.diskImage() != null) {
            kind = DiskKind.OWN;
            diskBytes = Files.size(spec.diskImage().toAbsolutePath().normalize());
        } else if (Files.isRegularFile(copy)) {
            kind = DiskKind.COPY;
            diskBytes = Files.size(copy);
        } else {
            kind = DiskKind.NONE;
        }
        Map<String, String> workload = new LinkedHashMap<>();
        if (vm.workload().orElse(null) instanceof ConsoleWorkloadRun run) {
            run.expected().ifPresent(e -> {
                workload.put(MEMWORK_NONCE, Long.toHexString(e.nonce()));
                workload.put(MEMWORK_PAGES, Long.toString(e.pages()));
            });
        }
        return new QemuSnapshotHeader(spec, vm.accelerator(), vm.memory().sizeBytes(), kind, diskBytes, workload,
                System.currentTimeMillis());
    }

    QemuSnapshotHeader withRamBytes(long ramBytes) {
        return new QemuSnapshotHeader(spec, accelerator, ramBytes, disk, diskBytes, workloadState, takenMillis);
    }

    void encode(DataOutputStream out) throws IOException {
        spec.writeTo(out);
        out.writeUTF(accelerator);
        out.writeLong(ramBytes);
        out.writeByte(disk.ordinal());
        out.writeLong(diskBytes);
        out.writeInt(workloadState.size()); // sorted by key, so equal states give equal bytes
        for (Map.Entry<String, String> e : new TreeMap<>(workloadState).entrySet()) {
            out.writeUTF(e.getKey());
            out.writeUTF(e.getValue());
        }
        out.writeLong(takenMillis);
    }

    static QemuSnapshotHeader decode(DataInputStream in) throws IOException {
        VmSpec spec = VmSpec.readFrom(in);
        if (!QemuBackend.NAME.equals(spec.backend())) {
            throw new BadSnapshot("it holds a VM of backend '" + spec.backend() + "'");
        }
        String accel = in.readUTF();
        long ram = in.readLong();
        int kind = in.readUnsignedByte();
        long diskBytes = in.readLong();
        int n = in.readInt();
        if (n < 0 || n > VmSpec.MAX_ENTRIES) {
            throw new BadSnapshot("its workload state of " + n + " entries is impossible");
        }
        Map<String, String> workload = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            workload.put(in.readUTF(), in.readUTF());
        }
        long taken = in.readLong();
        if (ram <= 0 || ram % Pages.SIZE != 0 || ram < spec.memoryBytes()) {
            throw new BadSnapshot("its guest RAM size " + ram + " is impossible");
        }
        if (kind >= DiskKind.values().length || diskBytes < 0) {
            throw new BadSnapshot("its disk description is impossible");
        }
        DiskKind disk = DiskKind.values()[kind];
        if ((disk == DiskKind.OWN) != (spec.diskImage() != null)) {
            throw new BadSnapshot("its disk description does not match its VM spec");
        }
        return new QemuSnapshotHeader(spec, accel, ram, disk, diskBytes, workload, taken);
    }

    /** What the memwork invariant expects, if the snapshot recorded it. */
    Optional<MemworkInvariant.Expected> expected() {
        String nonce = workloadState.get(MEMWORK_NONCE);
        String pages = workloadState.get(MEMWORK_PAGES);
        if (nonce == null || pages == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new MemworkInvariant.Expected(Long.parseUnsignedLong(nonce, 16),
                    Long.parseLong(pages)));
        } catch (NumberFormatException e) {
            return Optional.empty(); // the invariant then infers the nonce from memory
        }
    }
}
