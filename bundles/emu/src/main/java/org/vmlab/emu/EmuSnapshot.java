package org.vmlab.emu;

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
import java.nio.ByteBuffer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

import org.vmlab.api.VmlabException;
import org.vmlab.api.memory.Pages;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;

/**
 * The emu snapshot file format, version 1 (big-endian):
 * <pre>
 *   long  magic "VMLABEMU"     int version
 *   int   header length        header (spec ({@link VmSpec#writeTo}), workload name and
 *                              parameters)                                    long CRC32C of header
 *   body, covered by a CRC32C:
 *     long pageCount   int words   long[words] bitmap of non-zero pages   4096 bytes per such page
 *     long diskBlocks  int cached  (int frame, int block, boolean dirty) per cached page
 *     int reservations (long first, long count) each     int clockHand
 *   long  body CRC32C          long end magic "EMUSNAP."
 * </pre>
 * Zero pages take one bit, so a sparse guest gives a small file. The file is written to a temp
 * file and moved into place, so a failed snapshot leaves no partial file.
 */
final class EmuSnapshot {
    static final long MAGIC = 0x564D4C414245_4D55L; // "VMLABEMU"
    static final long END = 0x454D55534E41502EL;    // "EMUSNAP."
    static final int VERSION = 1;

    private EmuSnapshot() {
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

    static void write(EmuVm vm, Path file) {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            if (dir != null) {
                Files.createDirectories(dir);
            }
            tmp = file.resolveSibling(file.getFileName() + ".tmp-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            try (OutputStream fos = Files.newOutputStream(tmp);
                 BufferedOutputStream bos = new BufferedOutputStream(fos, 1 << 20)) {
                DataOutputStream raw = new DataOutputStream(bos);
                raw.writeLong(MAGIC);
                raw.writeInt(VERSION);
                byte[] header = header(vm.spec(), vm.workloadName(), vm.workloadParameters());
                raw.writeInt(header.length);
                raw.write(header);
                raw.writeLong(crc(header));
                CheckedOutputStream cos = new CheckedOutputStream(bos, new CRC32C());
                DataOutputStream out = new DataOutputStream(cos);
                writeMemory(vm.memory(), out);
                writeGuestOs(vm.emuGuestOs(), out);
                out.flush();
                raw.writeLong(cos.getChecksum().getValue());
                raw.writeLong(END);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new VmlabException("cannot write snapshot " + file + " of VM '" + vm.id() + "': " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    private static long crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return c.getValue();
    }

    private static byte[] header(VmSpec spec, String workload, Map<String, String> params)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        spec.writeTo(out);
        writeOptional(out, workload);
        writeMap(out, workload == null ? Map.of() : params);
        out.flush();
        return bytes.toByteArray();
    }

    private static void writeOptional(DataOutputStream out, String s) throws IOException {
        GuestOsCodec.writeOptional(out, s);
    }

    private static void writeMap(DataOutputStream out, Map<String, String> map) throws IOException {
        GuestOsCodec.writeMap(out, map);
    }

    private static void writeMemory(EmuGuestMemory mem, DataOutputStream out) throws IOException {
        long pages = mem.pageCount();
        long[] nonZero = new long[(int) ((pages + 63) >>> 6)];
        for (long p = 0; p < pages; p++) {
            if (!mem.isZero(p)) {
                nonZero[(int) (p >>> 6)] |= 1L << p;
            }
        }
        out.writeLong(pages);
        out.writeInt(nonZero.length);
        for (long w : nonZero) {
            out.writeLong(w);
        }
        byte[] page = new byte[Pages.SIZE];
        ByteBuffer buf = ByteBuffer.wrap(page);
        for (int i = 0; i < nonZero.length; i++) {
            long w = nonZero[i];
            while (w != 0) {
                long pfn = ((long) i << 6) + Long.numberOfTrailingZeros(w);
                w &= w - 1;
                buf.clear();
                mem.readPage(pfn, buf);
                out.write(page);
            }
        }
    }

    private static void writeGuestOs(EmuGuestOs os, DataOutputStream out) throws IOException {
        GuestOsCodec.write(os.exportState(), os.diskBlocks(), out);
    }

    // ------------------------------------------------------------------ read

    /** Thrown inside reading: a sentence saying what is wrong with the file. */
    private static final class BadSnapshot extends Exception {
        private static final long serialVersionUID = 1L;

        BadSnapshot(String message) {
            super(message, null, false, false);
        }
    }

    private record Header(VmSpec spec, String workload, Map<String, String> params) {
    }

    static EmuVm restore(EmuBackend backend, Path file) {
        try (InputStream fis = Files.newInputStream(file);
             BufferedInputStream bis = new BufferedInputStream(fis, 1 << 20)) {
            DataInputStream raw = new DataInputStream(bis);
            Header h;
            try {
                h = readHeader(raw);
            } catch (EOFException e) {
                throw bad(file, "it is truncated");
            } catch (BadSnapshot e) {
                throw bad(file, e.getMessage());
            }
            EmuVm vm = backend.create(h.spec(), EmuBackend.Mode.RESTORE, (memory, guestOs) -> {
                try {
                    CheckedInputStream cis = new CheckedInputStream(bis, new CRC32C());
                    DataInputStream in = new DataInputStream(cis);
                    readMemory(in, memory, h.spec());
                    readGuestOs(in, guestOs);
                    long expected = cis.getChecksum().getValue();
                    long stored = raw.readLong();
                    if (stored != expected) {
                        throw new BadSnapshot("its content is corrupted (checksum mismatch)");
                    }
                    if (raw.readLong() != END) {
                        throw new BadSnapshot("its end marker is missing");
                    }
                    if (raw.read() != -1) {
                        throw new BadSnapshot("it has extra bytes after its end");
                    }
                } catch (EOFException e) {
                    throw bad(file, "it is truncated");
                } catch (BadSnapshot e) {
                    throw bad(file, e.getMessage());
                } catch (IllegalArgumentException e) {
                    throw bad(file, e.getMessage());
                }
            });
            if (h.workload() != null) {
                vm.resumeWorkloadLater(h.workload(), h.params());
            }
            return vm;
        } catch (NoSuchFileException e) {
            throw new VmlabException("snapshot file " + file + " does not exist");
        } catch (IOException e) {
            throw new VmlabException("cannot read snapshot " + file + ": " + e, e);
        }
    }

    private static VmlabException bad(Path file, String what) {
        return new VmlabException("snapshot " + file + " is unusable: " + what);
    }

    private static Header readHeader(DataInputStream raw) throws IOException, BadSnapshot {
        if (raw.readLong() != MAGIC) {
            throw new BadSnapshot("it is not an emu snapshot (bad magic number)");
        }
        int version = raw.readInt();
        if (version != VERSION) {
            throw new BadSnapshot("its format version " + version + " is not supported (only "
                    + VERSION + ")");
        }
        int len = raw.readInt();
        if (len < 0 || len > (16 << 20)) {
            throw new BadSnapshot("its header length " + len + " is impossible");
        }
        byte[] header = new byte[len];
        raw.readFully(header);
        if (raw.readLong() != crc(header)) {
            throw new BadSnapshot("its header is corrupted (checksum mismatch)");
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(header));
        try {
            VmSpec spec = VmSpec.readFrom(in);
            String runName = readOptional(in);
            Map<String, String> runParams = readMap(in);
            return new Header(spec, runName, runParams);
        } catch (EOFException e) {
            throw new BadSnapshot("its header is cut short");
        } catch (IllegalArgumentException e) {
            throw new BadSnapshot("it holds a bad VM spec: " + e.getMessage());
        }
    }

    private static String readOptional(DataInputStream in) throws IOException {
        return GuestOsCodec.readOptional(in);
    }

    private static Map<String, String> readMap(DataInputStream in) throws IOException, BadSnapshot {
        try {
            return GuestOsCodec.readMap(in);
        } catch (GuestOsCodec.BadState e) {
            throw new BadSnapshot(e.getMessage());
        }
    }

    private static void readMemory(DataInputStream in, EmuGuestMemory mem, VmSpec spec)
            throws IOException, BadSnapshot {
        long pages = in.readLong();
        if (pages != mem.pageCount()) {
            throw new BadSnapshot("it holds " + pages + " pages of memory but its spec says "
                    + mem.pageCount());
        }
        int words = in.readInt();
        if (words != (int) ((pages + 63) >>> 6)) {
            throw new BadSnapshot("its page bitmap has " + words + " words for " + pages + " pages");
        }
        long[] nonZero = new long[words];
        for (int i = 0; i < words; i++) {
            nonZero[i] = in.readLong();
        }
        int tail = (int) (pages & 63);
        if (tail != 0 && (nonZero[words - 1] & (-1L << tail)) != 0) {
            throw new BadSnapshot("its page bitmap names pages beyond the guest's memory");
        }
        byte[] page = new byte[Pages.SIZE];
        ByteBuffer buf = ByteBuffer.wrap(page);
        for (int i = 0; i < words; i++) {
            long w = nonZero[i];
            while (w != 0) {
                long pfn = ((long) i << 6) + Long.numberOfTrailingZeros(w);
                w &= w - 1;
                in.readFully(page);
                buf.clear();
                mem.fillFromSnapshot(pfn, buf);
            }
        }
    }

    private static void readGuestOs(DataInputStream in, EmuGuestOs os) throws IOException, BadSnapshot {
        EmuGuestOs.State state;
        try {
            state = GuestOsCodec.read(in, os);
        } catch (GuestOsCodec.BadState e) {
            throw new BadSnapshot(e.getMessage());
        }
        os.importState(state);
    }
}
