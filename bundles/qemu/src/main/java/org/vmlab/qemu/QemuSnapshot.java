package org.vmlab.qemu;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Arrays;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.ByteSize;
import org.vmlab.api.VmlabException;
import org.vmlab.api.memory.Pages;
import org.vmlab.backend.support.snapshot.BadSnapshot;
import org.vmlab.backend.support.snapshot.SnapshotFormat;
import org.vmlab.backend.support.snapshot.SnapshotReader;
import org.vmlab.backend.support.snapshot.SparseUnits;
import org.vmlab.qemu.QemuSnapshotHeader.DiskKind;

/**
 * The qemu snapshot file, version 1, in the layout of {@link SnapshotFormat} (magic "VMLABQMU",
 * end marker "QMUSNAP."):
 * <pre>
 *   header: {@link QemuSnapshotHeader}
 *   body:   int length, QEMU's device state (its migration stream with x-ignore-shared)
 *           for a private disk copy: its 4 KiB blocks as {@link SparseUnits}
 *           guest RAM as {@link SparseUnits}
 * </pre>
 * Restoring checks both checksums and the end marker before it starts any QEMU, so a damaged file
 * fails with one sentence and creates nothing.
 */
final class QemuSnapshot {
    private static final Logger LOG = LoggerFactory.getLogger(QemuSnapshot.class);

    static final SnapshotFormat FORMAT = new SnapshotFormat(QemuBackend.NAME,
            0x564D4C4142514D55L /* "VMLABQMU" */, 1, 0x514D55534E41502EL /* "QMUSNAP." */);
    /** QEMU's device state without RAM is a few MiB; more than this is a damaged length. */
    static final int MAX_DEVICE_STATE = 1 << 30;
    private static final byte[] ZERO = new byte[Pages.SIZE];

    private QemuSnapshot() {
    }

    // ------------------------------------------------------------------ write

    /** Writes the snapshot of a paused {@code vm} whose device state QEMU just gave. */
    static void write(QemuVm vm, Path file, byte[] deviceState) {
        long t0 = System.nanoTime();
        try {
            QemuSnapshotHeader h = QemuSnapshotHeader.of(vm);
            FORMAT.write(file, h::encode, out -> {
                out.writeInt(deviceState.length);
                out.write(deviceState);
                if (h.disk() == DiskKind.COPY) {
                    writeDisk(vm.process().runDir().resolve(QemuSnapshotHeader.DISK_COPY), h.diskBytes(), out);
                }
                SparseUnits.write(vm.memory().pageCount(), out, SparseUnits.pagesOf(vm.memory())); // paused
            });
            LOG.info("VM '{}': snapshot {} ({}) in {} ms", vm.id(), file, new ByteSize(Files.size(file)),
                    (System.nanoTime() - t0) / 1_000_000);
        } catch (IOException e) {
            throw SnapshotFormat.writeFailure(file, vm.id(), e);
        }
    }

    private static void writeDisk(Path disk, long bytes, DataOutputStream out) throws IOException {
        try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
            byte[] block = new byte[Pages.SIZE];
            SparseUnits.write((bytes + Pages.SIZE - 1) / Pages.SIZE, out, new SparseUnits.Source() {
                @Override
                public boolean isZero(long i) throws IOException {
                    read(i, block);
                    return Arrays.mismatch(block, ZERO) < 0;
                }

                @Override
                public void read(long i, byte[] into) throws IOException {
                    Arrays.fill(into, (byte) 0); // a short last block reads as zero-padded
                    ByteBuffer buf = ByteBuffer.wrap(into);
                    while (buf.hasRemaining()) {
                        if (ch.read(buf, i * Pages.SIZE + buf.position()) < 0) {
                            break; // the file ends inside this block
                        }
                    }
                }
            });
        }
    }

    // ------------------------------------------------------------------ read

    /**
     * A VM from {@code file}, in state CREATED with QEMU paused. Everything is checked first; a
     * failure after QEMU started destroys that VM again, so nothing is left behind.
     */
    static QemuVm restore(QemuBackend backend, Path file) {
        Path tmpDisk = null;
        QemuVm vm = null;
        boolean ok = false;
        try (SnapshotReader reader = FORMAT.open(file)) {
            QemuSnapshotHeader h = reader.header(QemuSnapshotHeader::decode);
            reader.verifyBody();
            checkRestorable(backend, file, h);

            DataInputStream in = reader.body();
            byte[] deviceState = readDeviceState(in);
            Path disk = null;
            boolean copy = false;
            if (h.disk() == DiskKind.COPY) {
                // QEMU opens its disk at start, so the copy must exist before; QemuProcess then copies
                // it (sparse, reflinked where it can) into the run folder like the shared image.
                tmpDisk = Files.createTempFile("vmlab-qemu-restore-", ".img");
                readDisk(in, tmpDisk, h.diskBytes());
                disk = tmpDisk;
                copy = true;
            } else if (h.disk() == DiskKind.OWN) {
                disk = h.spec().diskImage().toAbsolutePath().normalize();
            }
            vm = backend.launchRestored(h.spec(), disk, copy);
            if (vm.memory().sizeBytes() != h.ramBytes()) {
                throw SnapshotFormat.unusable(file, "it holds " + h.ramBytes()
                        + " bytes of guest RAM but a qemu guest of "
                        + new ByteSize(h.spec().memoryBytes()) + " gets " + vm.memory().sizeBytes()
                        + " here (another QEMU version or accelerator?)");
            }
            readMemory(in, vm.memory());
            reader.finish();
            try {
                vm.loadDeviceState(deviceState);
            } catch (VmlabException e) {
                // e.g. a QEMU of another version that cannot read this device state
                throw new VmlabException("cannot restore snapshot " + file + ": " + e.getMessage(), e);
            }
            vm.restored();
            if (vm.workload().orElse(null) instanceof ConsoleWorkloadRun run) {
                h.expected().ifPresent(run::expect);
            }
            ok = true;
            LOG.info("VM '{}' restored from {} (taken {})", vm.id(), file, Instant.ofEpochMilli(h.takenMillis()));
            return vm;
        } catch (IOException e) {
            throw SnapshotFormat.readFailure(file, e);
        } finally {
            if (!ok && vm != null) {
                vm.destroy();
            }
            if (tmpDisk != null) {
                try {
                    Files.deleteIfExists(tmpDisk);
                } catch (IOException e) {
                    LOG.warn("cannot delete {}: {}", tmpDisk, e.toString());
                }
            }
        }
    }

    /** What the backend must offer for the snapshot, checked before any QEMU starts. */
    private static void checkRestorable(QemuBackend backend, Path file, QemuSnapshotHeader h) {
        String accel = backend.accelerator().name();
        if (!accel.equals(h.accelerator())) {
            throw new VmlabException("snapshot " + file + " was taken under " + h.accelerator()
                    + " but this qemu backend runs guests under " + accel
                    + "; QEMU device state does not cross accelerators, so restore it with accelerator="
                    + h.accelerator() + " in org.vmlab.qemu");
        }
        if (h.disk() == DiskKind.OWN) {
            Path disk = h.spec().diskImage().toAbsolutePath().normalize();
            long size;
            try {
                size = Files.size(disk);
            } catch (IOException e) {
                throw new VmlabException("snapshot " + file + " needs the disk image " + disk
                        + " of VM '" + h.spec().name() + "', which is gone");
            }
            if (size != h.diskBytes()) {
                throw new VmlabException("snapshot " + file + " needs the disk image " + disk + " at "
                        + h.diskBytes() + " bytes, but it now has " + size + " bytes");
            }
        }
    }

    private static byte[] readDeviceState(DataInputStream in) throws IOException {
        int len = in.readInt();
        if (len < 8 || len > MAX_DEVICE_STATE) {
            throw new BadSnapshot("its device state length " + len + " is impossible");
        }
        byte[] b = new byte[len];
        in.readFully(b);
        return b;
    }

    private static void readDisk(DataInputStream in, Path to, long bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(to.toFile(), "rw")) {
            f.setLength(bytes); // holes where the guest's disk had zeros
            FileChannel ch = f.getChannel();
            SparseUnits.read(in, (bytes + Pages.SIZE - 1) / Pages.SIZE, "disk blocks", (i, unit) -> {
                long off = i * Pages.SIZE;
                ByteBuffer b = ByteBuffer.wrap(unit, 0, (int) Math.min(Pages.SIZE, bytes - off));
                while (b.hasRemaining()) {
                    ch.write(b, off + b.position());
                }
            });
        }
    }

    private static void readMemory(DataInputStream in, QemuGuestMemory mem) throws IOException {
        // zero pages need nothing: the new RAM file is all zero
        SparseUnits.read(in, mem.pageCount(), "RAM pages", (pfn, page) -> mem.writePage(pfn, ByteBuffer.wrap(page)));
    }
}
