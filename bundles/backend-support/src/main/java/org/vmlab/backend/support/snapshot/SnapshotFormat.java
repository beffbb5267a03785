package org.vmlab.backend.support.snapshot;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

import org.vmlab.api.VmlabException;

/**
 * The snapshot file layout every backend shares (big-endian); the backend fills in the header and
 * the body:
 * <pre>
 *   long magic   int version   int header length             the preamble
 *   header                                                   the backend's: VM spec and what it needs
 *   long CRC32C of preamble and header
 *   body                                                     the backend's: memory, device state, ...
 *   long CRC32C of the body   long end marker
 * </pre>
 * {@link #write} goes to a temp file beside the target, synced, then moved into place, so a failed
 * snapshot leaves no partial file. {@link #open} checks magic, version and header checksum; the
 * {@link SnapshotReader} checks the body. Every way a file can be wrong ends in one sentence
 * ({@link #readFailure}). The magic is the backend's own: {@link #recognizes} is what a backend's
 * {@code VmBackend.recognizes} asks, so no backend needs to know another's files.
 *
 * @param backend    the backend's name, as users know it ({@code emu}, {@code qemu})
 * @param magic      eight bytes that start every file of this format
 * @param version    the version written and the only one read
 * @param endMarker  eight bytes that end every file
 */
public record SnapshotFormat(String backend, long magic, int version, long endMarker) {
    /** Bytes of the preamble: magic, version and header length. */
    public static final int PREAMBLE = 16;
    /** Bytes after the body: its checksum and the end marker. */
    public static final int TRAILER = 16;
    /** Headers are small (a VM spec and a few settings); more is a damaged length. */
    public static final int MAX_HEADER = 16 << 20;

    public SnapshotFormat {
        Objects.requireNonNull(backend, "backend");
    }

    /** Writes a header or a body. */
    @FunctionalInterface
    public interface Encoder {
        void encode(DataOutputStream out) throws IOException;
    }

    /** Whether the file starts with this format's magic; false for anything unreadable. */
    public boolean recognizes(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes(8);
            return b.length == 8 && ByteBuffer.wrap(b).getLong() == magic;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** What {@link #write} puts before the header. */
    public byte[] preamble(int headerLength) {
        return ByteBuffer.allocate(PREAMBLE).putLong(magic).putInt(version).putInt(headerLength).array();
    }

    /** The header checksum also covers the preamble, so a damaged version or length is caught too. */
    public long headerCrc(byte[] header) {
        CRC32C c = new CRC32C();
        c.update(preamble(header.length));
        c.update(header);
        return c.getValue();
    }

    /** The bytes an encoder writes. */
    public static byte[] encode(Encoder encoder) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        encoder.encode(out);
        out.flush();
        return bytes.toByteArray();
    }

    /**
     * Writes a snapshot to {@code file} (its folder is created), replacing any file there only
     * once the new one is complete and on disk.
     */
    public void write(Path file, Encoder header, Encoder body) throws IOException {
        byte[] h = encode(header);
        if (h.length > MAX_HEADER) {
            throw new IOException("the snapshot header of " + h.length + " bytes is over " + MAX_HEADER);
        }
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                BufferedOutputStream bos = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20);
                DataOutputStream raw = new DataOutputStream(bos);
                raw.write(preamble(h.length));
                raw.write(h);
                raw.writeLong(headerCrc(h));
                CheckedOutputStream cos = new CheckedOutputStream(bos, new CRC32C());
                DataOutputStream out = new DataOutputStream(cos);
                body.encode(out);
                out.flush();
                raw.writeLong(cos.getChecksum().getValue());
                raw.writeLong(endMarker);
                raw.flush();
                ch.force(true); // the move below must not publish a file whose blocks are not on disk
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
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

    /**
     * Opens {@code file} and checks its preamble and header.
     *
     * @throws BadSnapshot if it is not of this format, of another version, or its header is damaged
     */
    public SnapshotReader open(Path file) throws IOException {
        return SnapshotReader.open(this, file);
    }

    /** "an emu snapshot", "a qemu snapshot". */
    String withArticle() {
        return ("aeiou".indexOf(backend.isEmpty() ? 'x' : backend.charAt(0)) >= 0 ? "an " : "a ") + backend
                + " snapshot";
    }

    /** One sentence for a snapshot that could not be read, however it went wrong. */
    public static VmlabException readFailure(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new VmlabException("snapshot file " + file + " does not exist");
        }
        if (e instanceof EOFException) {
            return unusable(file, "it is truncated");
        }
        if (e instanceof BadSnapshot) {
            return unusable(file, e.getMessage());
        }
        return new VmlabException("cannot read snapshot " + file + ": " + e, e);
    }

    /** "snapshot FILE is unusable: WHAT". */
    public static VmlabException unusable(Path file, String what) {
        return new VmlabException("snapshot " + file + " is unusable: " + what);
    }

    /** One sentence for a snapshot that could not be written. */
    public static VmlabException writeFailure(Path file, String vmId, IOException e) {
        return new VmlabException("cannot write snapshot " + file + " of VM '" + vmId + "': " + e, e);
    }
}
