package org.vmlab.emu;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.zip.CRC32C;

import org.vmlab.api.VmlabException;

/**
 * The device state of an emu VM ({@link EmuVm#saveDeviceState()}), version 1, big-endian:
 * <pre>
 *   long magic "EMUDEVST"   int version   int body length   body   long CRC32C of body
 *   body: long memory pages   optional workload name   workload parameters (map)
 *         guest OS state as {@link GuestOsCodec} writes it (the same encoding as snapshots)
 * </pre>
 * Decoding checks everything before anything is installed, so a rejected state leaves the VM as
 * it was.
 */
final class EmuDeviceState {
    static final long MAGIC = 0x454D554445565354L; // "EMUDEVST"
    static final int VERSION = 1;
    private static final int MAX_BODY = 1 << 30;

    /** What a device state holds, decoded and checked against the target VM. */
    record Decoded(String workload, Map<String, String> parameters, EmuGuestOs.State guestOs) {
    }

    private EmuDeviceState() {
    }

    static byte[] encode(long memoryPages, String workload, Map<String, String> parameters,
                         EmuGuestOs.State guestOs, long diskBlocks) {
        try {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            DataOutputStream b = new DataOutputStream(body);
            b.writeLong(memoryPages);
            GuestOsCodec.writeOptional(b, workload);
            GuestOsCodec.writeMap(b, workload == null ? Map.of() : parameters);
            GuestOsCodec.write(guestOs, diskBlocks, b);
            b.flush();
            byte[] bytes = body.toByteArray();
            CRC32C crc = new CRC32C();
            crc.update(bytes);
            ByteBuffer out = ByteBuffer.allocate(8 + 4 + 4 + bytes.length + 8);
            out.putLong(MAGIC).putInt(VERSION).putInt(bytes.length).put(bytes).putLong(crc.getValue());
            return out.array();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in-memory streams do not fail
        }
    }

    /**
     * Decodes and checks {@code state} for {@code vm}.
     *
     * @throws VmlabException with one sentence if it is malformed, corrupted or for another VM
     */
    static Decoded decode(byte[] state, EmuVm vm) {
        String what = "cannot load device state into VM '" + vm.id() + "': ";
        if (state == null) {
            throw new VmlabException(what + "no state given (null)");
        }
        ByteBuffer in = ByteBuffer.wrap(state);
        if (state.length < 8 + 4 + 4 + 8) {
            throw new VmlabException(what + "it is truncated (" + state.length + " bytes)");
        }
        if (in.getLong() != MAGIC) {
            throw new VmlabException(what + "it is not emu device state (bad magic number)");
        }
        int version = in.getInt();
        if (version != VERSION) {
            throw new VmlabException(what + "its format version " + version
                    + " is not supported (only " + VERSION + ")");
        }
        int len = in.getInt();
        if (len < 0 || len > MAX_BODY) {
            throw new VmlabException(what + "its length " + len + " is impossible");
        }
        if (in.remaining() < (long) len + 8) {
            throw new VmlabException(what + "it is truncated (" + state.length + " bytes, "
                    + (16L + len + 8) + " expected)");
        }
        if (in.remaining() > (long) len + 8) {
            throw new VmlabException(what + "it has extra bytes after its end");
        }
        CRC32C crc = new CRC32C();
        crc.update(state, 16, len);
        if (in.getLong(16 + len) != crc.getValue()) {
            throw new VmlabException(what + "it is corrupted (checksum mismatch)");
        }
        DataInputStream body = new DataInputStream(new ByteArrayInputStream(state, 16, len));
        try {
            long pages = body.readLong();
            if (pages != vm.memory().pageCount()) {
                throw new VmlabException(what + "it is from a VM with " + pages
                        + " pages of memory, this one has " + vm.memory().pageCount());
            }
            String workload = GuestOsCodec.readOptional(body);
            Map<String, String> params = GuestOsCodec.readMap(body);
            EmuGuestOs.State os = GuestOsCodec.read(body, vm.emuGuestOs());
            if (body.read() != -1) {
                throw new VmlabException(what + "its body has extra bytes");
            }
            return new Decoded(workload, Map.copyOf(params), os);
        } catch (EOFException e) {
            throw new VmlabException(what + "its body is cut short");
        } catch (GuestOsCodec.BadState e) {
            throw new VmlabException(what + e.getMessage());
        } catch (IOException e) {
            throw new VmlabException(what + "it is malformed: " + e.getMessage());
        }
    }
}
