package org.vmlab.emu;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The one binary encoding of the guest OS state ({@link EmuGuestOs.State}), shared by the
 * snapshot file ({@link EmuSnapshot}) and the migration device state ({@link EmuDeviceState}):
 * <pre>
 *   long diskBlocks  int cached  (int frame, int block, boolean dirty) per cached page
 *   int reservations (long first, long count) each     int clockHand
 * </pre>
 * Big-endian; integrity (checksums) is the container's business.
 */
final class GuestOsCodec {

    /** A sentence saying what in the encoded state does not fit this guest. */
    static final class BadState extends Exception {
        private static final long serialVersionUID = 1L;

        BadState(String message) {
            super(message, null, false, false);
        }
    }

    private GuestOsCodec() {
    }

    static void write(EmuGuestOs.State s, long diskBlocks, DataOutputStream out) throws IOException {
        out.writeLong(diskBlocks);
        out.writeInt(s.frames().length);
        for (int i = 0; i < s.frames().length; i++) {
            out.writeInt(s.frames()[i]);
            out.writeInt(s.blocks()[i]);
            out.writeBoolean(s.dirty()[i]);
        }
        out.writeInt(s.reservedFirst().length);
        for (int i = 0; i < s.reservedFirst().length; i++) {
            out.writeLong(s.reservedFirst()[i]);
            out.writeLong(s.reservedCount()[i]);
        }
        out.writeInt(s.clockHand());
    }

    /**
     * Reads a state for {@code os}, checking sizes against it; does not install it.
     *
     * @throws java.io.EOFException if the input ends early
     */
    static EmuGuestOs.State read(DataInputStream in, EmuGuestOs os) throws IOException, BadState {
        long diskBlocks = in.readLong();
        if (diskBlocks != os.diskBlocks()) {
            throw new BadState("it was taken with a disk of " + diskBlocks
                    + " blocks but the disk image now has " + os.diskBlocks());
        }
        long limit = os.freePages();
        int n = in.readInt();
        if (n < 0 || n > limit) {
            throw new BadState("its cached page count " + n + " is impossible");
        }
        int[] frames = new int[n];
        int[] blocks = new int[n];
        boolean[] dirty = new boolean[n];
        for (int i = 0; i < n; i++) {
            frames[i] = in.readInt();
            blocks[i] = in.readInt();
            dirty[i] = in.readBoolean();
        }
        int r = in.readInt();
        if (r < 0 || r > limit) {
            throw new BadState("its reservation count " + r + " is impossible");
        }
        long[] first = new long[r];
        long[] count = new long[r];
        for (int i = 0; i < r; i++) {
            first[i] = in.readLong();
            count[i] = in.readLong();
        }
        int hand = in.readInt();
        return new EmuGuestOs.State(frames, blocks, dirty, first, count, hand);
    }

    // ------------------------------------------------------------ strings and maps

    static void writeOptional(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    static String readOptional(DataInputStream in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }

    /** Writes a string map, keys sorted so equal maps give equal bytes. */
    static void writeMap(DataOutputStream out, java.util.Map<String, String> map) throws IOException {
        out.writeInt(map.size());
        for (java.util.Map.Entry<String, String> e : new java.util.TreeMap<>(map).entrySet()) {
            out.writeUTF(e.getKey());
            out.writeUTF(e.getValue());
        }
    }

    static java.util.Map<String, String> readMap(DataInputStream in) throws IOException, BadState {
        int n = in.readInt();
        if (n < 0 || n > 65536) {
            throw new BadState("a parameter count " + n + " is impossible");
        }
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            m.put(in.readUTF(), in.readUTF());
        }
        return m;
    }
}
