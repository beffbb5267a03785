package org.vmlab.qemu;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmlab.api.ByteSize;
import org.vmlab.api.VmlabException;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.vm.VmSpec;

/**
 * The qemu snapshot file format, version 1 (big-endian):
 * <pre>
 *   long magic "VMLABQMU"   int version   int header length
 *   header: VmSpec ({@link VmSpec#writeTo}, as the emu format has it), accelerator, guest RAM bytes,
 *           disk kind (0 none, 1 the spec's own disk by reference, 2 the run folder's private
 *           copy, included), disk bytes, workload state (string map), time taken (epoch ms)
 *   long CRC32C of magic, version, header length and header
 *   body, covered by a CRC32C:
 *     int length, QEMU's device state (its migration stream with x-ignore-shared)
 *     for a private disk copy: long blocks  int words  long[words] bitmap of non-zero 4 KiB
 *                              blocks   4096 bytes per such block
 *     long pages  int words  long[words] bitmap of non-zero RAM pages   4096 bytes per such page
 *   long body CRC32C   long end magic "QMUSNAP."
 * </pre>
 * The RAM size is the RAM file's, which may exceed the spec's memory (QEMU workarounds), and a
 * restore insists on the same. Zero pages and blocks take one bit each, so a sparse guest gives a
 * small file. Writing goes to a temp file beside the target that is synced and moved into place,
 * so a failed snapshot leaves no partial file. Restoring checks both checksums and the end marker
 * before it starts any QEMU, so a damaged file fails with one sentence and creates nothing.
 */
final class QemuSnapshot {
    private static final Logger LOG = LoggerFactory.getLogger(QemuSnapshot.class);

    static final long MAGIC = 0x564D4C4142514D55L;     // "VMLABQMU"
    static final long END = 0x514D55534E41502EL;       // "QMUSNAP."
    /** The emu backend's magic, to name the right backend for its files. */
    static final long EMU_MAGIC = 0x564D4C414245_4D55L; // "VMLABEMU"
    static final int VERSION = 1;
    static final int PREAMBLE = 16;
    static final int TRAILER = 16;
    static final int MAX_HEADER = 16 << 20;
    /** QEMU's device state without RAM is a few MiB; more than this is a damaged length. */
    static final int MAX_DEVICE_STATE = 1 << 30;
    /** Workload state keys: the memwork run's nonce (hex) and page count. */
    static final String MEMWORK_NONCE = "memwork.nonce";
    static final String MEMWORK_PAGES = "memwork.pages";
    /** The private disk copy in a run folder (see QemuProcess.Launch.diskIn). */
    static final String DISK_COPY = "disk.img";

    private static final byte[] ZERO = new byte[Pages.SIZE];

    /** How a snapshot keeps the guest's disk. */
    enum DiskKind {
        /** The VM has no disk. */
        NONE,
        /** The spec's own disk image, used in place by the VM: recorded by path and size. */
        OWN,
        /** The private copy of the shared image in the run folder: included in the body. */
        COPY
    }

    /** What the header says; {@code diskBytes} is the disk's size when the snapshot was taken. */
    record Header(VmSpec spec, String accelerator, long ramBytes, DiskKind disk, long diskBytes,
                  Map<String, String> workloadState, long takenMillis) {
        Header {
            workloadState = Map.copyOf(workloadState);
        }

        Header withRamBytes(long ramBytes) {
            return new Header(spec, accelerator, ramBytes, disk, diskBytes, workloadState, takenMillis);
        }
    }

    /** Thrown inside reading: a sentence saying what is wrong with the file. */
    static final class BadSnapshot extends Exception {
        private static final long serialVersionUID = 1L;

        BadSnapshot(String message) {
            super(message, null, false, false);
        }
    }

    private QemuSnapshot() {
    }

    /** Whether the file starts with this format's magic; false for anything unreadable. */
    static boolean hasMagic(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes(8);
            return b.length == 8 && ByteBuffer.wrap(b).getLong() == MAGIC;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ write

    /** Writes the snapshot of a paused {@code vm} whose device state QEMU just gave. */
    static void write(QemuVm vm, Path file, byte[] deviceState) {
        Path tmp = null;
        long t0 = System.nanoTime();
        try {
            Header h = headerOf(vm);
            Path dir = file.toAbsolutePath().getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            tmp = file.resolveSibling(file.getFileName() + ".tmp-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                BufferedOutputStream bos = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20);
                DataOutputStream raw = new DataOutputStream(bos);
                byte[] header = encodeHeader(h);
                raw.write(preamble(header.length));
                raw.write(header);
                raw.writeLong(headerCrc(header));
                CheckedOutputStream cos = new CheckedOutputStream(bos, new CRC32C());
                DataOutputStream out = new DataOutputStream(cos);
                out.writeInt(deviceState.length);
                out.write(deviceState);
                if (h.disk() == DiskKind.COPY) {
                    writeDisk(vm.process().runDir().resolve(DISK_COPY), h.diskBytes(), out);
                }
                writeMemory(vm.memory(), out);
                out.flush();
                raw.writeLong(cos.getChecksum().getValue());
                raw.writeLong(END);
                raw.flush();
                ch.force(true); // the move below must not publish a file whose blocks are not on disk
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            LOG.info("VM '{}': snapshot {} ({}) in {} ms", vm.id(), file, new ByteSize(Files.size(file)),
                    (System.nanoTime() - t0) / 1_000_000);
        } catch (IOException e) {
            throw new VmlabException("cannot write snapshot " + file + " of VM '" + vm.id() + "': " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: a name ending in .tmp-<hex> says what it is
                }
            }
        }
    }

    private static Header headerOf(QemuVm vm) throws IOException {
        VmSpec spec = vm.spec();
        DiskKind kind;
        long diskBytes = 0;
        if (spec.diskImage() != null) {
            kind = DiskKind.OWN;
            diskBytes = Files.size(spec.diskImage().toAbsolutePath().normalize());
        } else if (Files.isRegularFile(vm.process().runDir().resolve(DISK_COPY))) {
            kind = DiskKind.COPY;
            diskBytes = Files.size(vm.process().runDir().resolve(DISK_COPY));
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
        return new Header(spec, vm.accelerator(), vm.memory().sizeBytes(), kind, diskBytes, workload,
                System.currentTimeMillis());
    }

    static byte[] encodeHeader(Header h) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        h.spec().writeTo(out);
        out.writeUTF(h.accelerator());
        out.writeLong(h.ramBytes());
        out.writeByte(h.disk().ordinal());
        out.writeLong(h.diskBytes());
        writeMap(out, h.workloadState());
        out.writeLong(h.takenMillis());
        out.flush();
        return bytes.toByteArray();
    }

    static byte[] preamble(int headerLength) {
        return ByteBuffer.allocate(PREAMBLE).putLong(MAGIC).putInt(VERSION).putInt(headerLength).array();
    }

    /** The header checksum also covers the preamble, so a damaged version or length is caught too. */
    static long headerCrc(byte[] header) {
        CRC32C c = new CRC32C();
        c.update(preamble(header.length));
        c.update(header);
        return c.getValue();
    }

    private static void writeDisk(Path disk, long bytes, DataOutputStream out) throws IOException {
        try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
            long blocks = (bytes + Pages.SIZE - 1) / Pages.SIZE;
            ByteBuffer buf = ByteBuffer.allocate(Pages.SIZE);
            writeUnits(blocks, out, (i, into) -> {
                buf.clear();
                Arrays.fill(into, (byte) 0); // a short last block reads as zero-padded
                while (buf.hasRemaining()) {
                    if (ch.read(buf, i * Pages.SIZE + buf.position()) < 0) {
                        break;
                    }
                }
                buf.flip();
                buf.get(into, 0, buf.remaining());
                return !isZero(into);
            });
        }
    }

    private static void writeMemory(QemuGuestMemory mem, DataOutputStream out) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(Pages.SIZE);
        writeUnits(mem.pageCount(), out, (pfn, into) -> {
            if (mem.isZero(pfn)) {
                return false;
            }
            buf.clear();
            mem.readPage(pfn, buf);
            buf.flip();
            buf.get(into);
            return true;
        });
    }

    /** Reads unit {@code i} (4 KiB) into {@code into}; false if it is all zero (then unread is fine). */
    @FunctionalInterface
    private interface UnitSource {
        boolean read(long i, byte[] into) throws IOException;
    }

    /** Count, bitmap of non-zero units, those units. Reads each non-zero unit twice, not held. */
    private static void writeUnits(long count, DataOutputStream out, UnitSource src) throws IOException {
        long[] nonZero = new long[words(count)];
        byte[] unit = new byte[Pages.SIZE];
        for (long i = 0; i < count; i++) {
            if (src.read(i, unit)) {
                nonZero[(int) (i >>> 6)] |= 1L << i;
            }
        }
        out.writeLong(count);
        out.writeInt(nonZero.length);
        for (long w : nonZero) {
            out.writeLong(w);
        }
        for (int k = 0; k < nonZero.length; k++) {
            long w = nonZero[k];
            while (w != 0) {
                long i = ((long) k << 6) + Long.numberOfTrailingZeros(w);
                w &= w - 1;
                src.read(i, unit); // the VM is paused: same content as in the scan
                out.write(unit);
            }
        }
    }

    private static int words(long count) {
        return (int) ((count + 63) >>> 6);
    }

    private static boolean isZero(byte[] b) {
        return Arrays.mismatch(b, ZERO) < 0;
    }

    // ------------------------------------------------------------------ read

    /**
     * A VM from {@code file}, in state CREATED with QEMU paused. Everything is checked first; a
     * failure after QEMU started destroys that VM again, so nothing is left behind.
     */
    static QemuVm restore(QemuBackend backend, Path file) {
        Header h;
        long bodyStart;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            h = readHeader(ch);
            bodyStart = ch.position();
            checkBody(ch, bodyStart);
        } catch (NoSuchFileException e) {
            throw new VmlabException("snapshot file " + file + " does not exist");
        } catch (EOFException e) {
            throw bad(file, "it is truncated");
        } catch (BadSnapshot e) {
            throw bad(file, e.getMessage());
        } catch (IOException e) {
            throw new VmlabException("cannot read snapshot " + file + ": " + e, e);
        }
        checkRestorable(backend, file, h);

        Path tmpDisk = null;
        QemuVm vm = null;
        boolean ok = false;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.position(bodyStart);
            BufferedInputStream bis = new BufferedInputStream(Channels.newInputStream(ch), 1 << 20);
            DataInputStream raw = new DataInputStream(bis);
            CheckedInputStream cis = new CheckedInputStream(bis, new CRC32C());
            DataInputStream in = new DataInputStream(cis);
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
                throw bad(file, "it holds " + h.ramBytes() + " bytes of guest RAM but a qemu guest of "
                        + new ByteSize(h.spec().memoryBytes()) + " gets " + vm.memory().sizeBytes()
                        + " here (another QEMU version or accelerator?)");
            }
            readMemory(in, vm.memory());
            if (raw.readLong() != cis.getChecksum().getValue()) {
                throw new BadSnapshot("its content changed while it was read (checksum mismatch)");
            }
            if (raw.readLong() != END) {
                throw new BadSnapshot("its end marker is missing");
            }
            try {
                vm.loadDeviceState(deviceState);
            } catch (VmlabException e) {
                // e.g. a QEMU of another version that cannot read this device state
                throw new VmlabException("cannot restore snapshot " + file + ": " + e.getMessage(), e);
            }
            vm.restored();
            if (vm.workload().orElse(null) instanceof ConsoleWorkloadRun run) {
                expected(h.workloadState()).ifPresent(run::expect);
            }
            ok = true;
            LOG.info("VM '{}' restored from {} (taken {})", vm.id(), file, Instant.ofEpochMilli(h.takenMillis()));
            return vm;
        } catch (EOFException e) {
            throw bad(file, "it is truncated");
        } catch (BadSnapshot e) {
            throw bad(file, e.getMessage());
        } catch (IOException e) {
            throw new VmlabException("cannot restore snapshot " + file + ": " + e, e);
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

    private static VmlabException bad(Path file, String what) {
        return new VmlabException("snapshot " + file + " is unusable: " + what);
    }

    /** What the backend must offer for the snapshot, checked before any QEMU starts. */
    private static void checkRestorable(QemuBackend backend, Path file, Header h) {
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

    /** Reads and checks the preamble and header; leaves {@code ch} at the body. */
    static Header readHeader(FileChannel ch) throws IOException, BadSnapshot {
        ByteBuffer pre = ByteBuffer.allocate(PREAMBLE);
        readFully(ch, pre);
        long magic = pre.getLong(0);
        if (magic == EMU_MAGIC) {
            throw new BadSnapshot("it is an emu snapshot; restore it on the emu backend");
        }
        if (magic != MAGIC) {
            throw new BadSnapshot("it is not a qemu snapshot (bad magic number)");
        }
        int version = pre.getInt(8);
        int len = pre.getInt(12);
        if (len < 0 || len > MAX_HEADER || len > ch.size()) {
            throw new BadSnapshot("its header length " + len + " is impossible (header damaged?)");
        }
        ByteBuffer hb = ByteBuffer.allocate(len + 8);
        readFully(ch, hb);
        byte[] header = Arrays.copyOf(hb.array(), len);
        if (hb.getLong(len) != headerCrc(header)) {
            throw new BadSnapshot("its header is corrupted (checksum mismatch)");
        }
        if (version != VERSION) {
            throw new BadSnapshot("its format version " + version + " is not supported (only " + VERSION + ")");
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(header));
        try {
            VmSpec spec = VmSpec.readFrom(in);
            if (!QemuBackend.NAME.equals(spec.backend())) {
                throw new BadSnapshot("it holds a VM of backend '" + spec.backend() + "'");
            }
            String accel = in.readUTF();
            long ram = in.readLong();
            int kind = in.readUnsignedByte();
            long diskBytes = in.readLong();
            Map<String, String> workload = readMap(in);
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
            return new Header(spec, accel, ram, disk, diskBytes, workload, taken);
        } catch (EOFException e) {
            throw new BadSnapshot("its header is cut short");
        } catch (IllegalArgumentException e) {
            throw new BadSnapshot("it holds a bad VM spec: " + e.getMessage());
        }
    }

    /** The workload state: an int count and UTF key/value pairs, sorted by key. */
    private static void writeMap(DataOutputStream out, Map<String, String> map) throws IOException {
        out.writeInt(map.size());
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(map).entrySet()) {
            out.writeUTF(e.getKey());
            out.writeUTF(e.getValue());
        }
    }

    private static Map<String, String> readMap(DataInputStream in) throws IOException, BadSnapshot {
        int n = in.readInt();
        if (n < 0 || n > VmSpec.MAX_ENTRIES) {
            throw new BadSnapshot("its workload state of " + n + " entries is impossible");
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            m.put(in.readUTF(), in.readUTF());
        }
        return m;
    }

    /** The end marker and the body checksum, over the whole body, before anything is created. */
    private static void checkBody(FileChannel ch, long bodyStart) throws IOException, BadSnapshot {
        long size = ch.size();
        if (size < bodyStart + TRAILER) {
            throw new EOFException();
        }
        ByteBuffer trailer = ByteBuffer.allocate(TRAILER);
        ch.position(size - TRAILER);
        readFully(ch, trailer);
        if (trailer.getLong(8) != END) {
            throw new BadSnapshot("it is truncated or damaged at its end (no end marker)");
        }
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        long at = bodyStart;
        long end = size - TRAILER;
        while (at < end) {
            buf.clear().limit((int) Math.min(buf.capacity(), end - at));
            int n = ch.read(buf, at);
            if (n < 0) {
                throw new EOFException();
            }
            buf.flip();
            crc.update(buf);
            at += n;
        }
        if (crc.getValue() != trailer.getLong(0)) {
            throw new BadSnapshot("its content is corrupted (checksum mismatch)");
        }
        ch.position(bodyStart);
    }

    private static void readFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new EOFException();
            }
        }
        b.flip();
    }

    private static byte[] readDeviceState(DataInputStream in) throws IOException, BadSnapshot {
        int len = in.readInt();
        if (len < 8 || len > MAX_DEVICE_STATE) {
            throw new BadSnapshot("its device state length " + len + " is impossible");
        }
        byte[] b = new byte[len];
        in.readFully(b);
        return b;
    }

    private static void readDisk(DataInputStream in, Path to, long bytes) throws IOException, BadSnapshot {
        long blocks = (bytes + Pages.SIZE - 1) / Pages.SIZE;
        try (RandomAccessFile f = new RandomAccessFile(to.toFile(), "rw")) {
            f.setLength(bytes); // holes where the guest's disk had zeros
            FileChannel ch = f.getChannel();
            readUnits(in, blocks, "disk blocks", (i, unit) -> {
                long off = i * Pages.SIZE;
                ByteBuffer b = ByteBuffer.wrap(unit, 0, (int) Math.min(Pages.SIZE, bytes - off));
                while (b.hasRemaining()) {
                    ch.write(b, off + b.position());
                }
            });
        }
    }

    private static void readMemory(DataInputStream in, QemuGuestMemory mem) throws IOException, BadSnapshot {
        ByteBuffer buf = ByteBuffer.allocate(Pages.SIZE);
        readUnits(in, mem.pageCount(), "RAM pages", (pfn, unit) -> {
            buf.clear();
            buf.put(unit).flip();
            mem.writePage(pfn, buf); // zero pages need nothing: the new RAM file is all zero
        });
    }

    @FunctionalInterface
    private interface UnitSink {
        void write(long i, byte[] unit) throws IOException;
    }

    private static void readUnits(DataInputStream in, long expected, String what, UnitSink sink)
            throws IOException, BadSnapshot {
        long count = in.readLong();
        if (count != expected) {
            throw new BadSnapshot("it holds " + count + " " + what + " where its header says " + expected);
        }
        int words = in.readInt();
        if (words != words(count)) {
            throw new BadSnapshot("its bitmap of " + what + " has " + words + " words for " + count);
        }
        long[] nonZero = new long[words];
        for (int i = 0; i < words; i++) {
            nonZero[i] = in.readLong();
        }
        int tail = (int) (count & 63);
        if (tail != 0 && (nonZero[words - 1] & (-1L << tail)) != 0) {
            throw new BadSnapshot("its bitmap names " + what + " beyond the end");
        }
        byte[] unit = new byte[Pages.SIZE];
        for (int k = 0; k < words; k++) {
            long w = nonZero[k];
            while (w != 0) {
                long i = ((long) k << 6) + Long.numberOfTrailingZeros(w);
                w &= w - 1;
                in.readFully(unit);
                sink.write(i, unit);
            }
        }
    }

    static Optional<MemworkInvariant.Expected> expected(Map<String, String> state) {
        String nonce = state.get(MEMWORK_NONCE);
        String pages = state.get(MEMWORK_PAGES);
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
