package org.vmlab.engines;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.Map;

import org.vmlab.api.vm.VmSpec;
import org.vmlab.transport.TransportException;

/**
 * Frame types of the migration protocol on top of {@link org.vmlab.transport.FrameChannel}, and
 * the codecs of their payloads (the VM spec itself is {@link VmSpec#writeTo}).
 *
 * <pre>
 * control (source -> destination): OPEN(id, streams, compress, postcopy, spec)
 *                                   -> READY(token, destVmId, pages) | ERROR(reason)
 * data (one connection per stream):  ATTACH(token, index), PAGES(batch)*, FLUSH(pages)
 * precopy switchover:  SWITCHOVER(verify, deviceState) -> [HASHES(start, n, hash*)*, VERIFY_READY]
 *                      COMMIT -> RESUMED | ABORT(reason)
 * postcopy switchover: POSTCOPY_SWITCH(verify, faultMode, missing bitmap, deviceState)
 *                      -> POSTCOPY_READY; COMMIT -> RESUMED; then, until every missing page is in:
 *                      destination REQUEST(n, pfn*) -> source PAGES on the control connection
 *                      (ahead of the push on the data streams); destination PROGRESS(missing,
 *                      blockNanos, guest ops/s, guest B/s) every second; at the end
 *                      COMPLETE(postcopyNanos, blockNanos) [HASHES*, VERIFY_READY] -> DONE
 * native tunnel (one connection; the hypervisor's own stream, transport version 3):
 *                      NATIVE_OPEN(id, spec, hypervisor settings) -> READY(token, destVmId, pages)
 *                      | ERROR(reason); STREAM(bytes)*, STREAM_END -> LOADED(destVmId);
 *                      [VERIFY -> HASHES*, VERIFY_READY]; COMMIT -> RESUMED | ABORT(reason)
 * PING on any connection keeps an idle link alive; ERROR(reason) from the destination ends it.
 * </pre>
 */
final class Protocol {
    static final int OPEN = 1;
    static final int READY = 2;
    static final int ATTACH = 3;
    static final int PAGES = 4;
    static final int FLUSH = 5;
    static final int SWITCHOVER = 6;
    static final int HASHES = 7;
    static final int VERIFY_READY = 8;
    static final int COMMIT = 9;
    static final int ABORT = 10;
    static final int RESUMED = 11;
    static final int PING = 12;
    static final int ERROR = 13;
    static final int POSTCOPY_SWITCH = 14;
    static final int POSTCOPY_READY = 15;
    static final int REQUEST = 16;
    static final int PROGRESS = 17;
    static final int COMPLETE = 18;
    static final int DONE = 19;
    static final int NATIVE_OPEN = 20;
    static final int STREAM = 21;
    static final int STREAM_END = 22;
    static final int LOADED = 23;
    static final int VERIFY = 24;

    /** Most pages named in one REQUEST frame. */
    static final int MAX_REQUEST = 4096;

    /** Largest control frame other than device state and hashes. */
    static final int SMALL_FRAME = 64 * 1024;
    /** Hashes per HASHES frame. */
    static final int HASHES_PER_FRAME = 64 * 1024;

    private Protocol() {
    }

    /** The spec of an OPEN or NATIVE_OPEN ({@link VmSpec#writeTo}); a bad one is a protocol error. */
    static VmSpec decodeSpec(DataInputStream in) throws IOException {
        try {
            return VmSpec.readFrom(in);
        } catch (IllegalArgumentException e) {
            throw new IOException("bad VM spec: " + e.getMessage(), e);
        }
    }

    /** Writes a string map the way {@link #readMap} reads it (e.g. a native open's hypervisor settings). */
    static void writeStrings(DataOutputStream out, Map<String, String> map) throws IOException {
        writeMap(out, map);
    }

    static Map<String, String> readStrings(DataInputStream in) throws IOException {
        return readMap(in);
    }

    /** The XXH64 hash of every page, indexed by page frame number (what verification compares). */
    static long[] pageHashes(org.vmlab.api.memory.GuestMemory memory) {
        long[] hashes = new long[Math.toIntExact(memory.pageCount())];
        for (int pfn = 0; pfn < hashes.length; pfn++) {
            hashes[pfn] = memory.pageHash(pfn);
        }
        return hashes;
    }

    /**
     * Takes one HASHES frame ({@link #sendHashes}) into {@code into}, marking the pages it covers
     * in {@code seen}.
     */
    static void readHashes(ByteBuffer b, long[] into, BitSet seen) throws TransportException {
        long start = b.getLong();
        int n = b.getInt();
        if (start < 0 || n < 0 || start + n > into.length || b.remaining() != 8L * n) {
            throw new TransportException("malformed HASHES frame");
        }
        for (int i = 0; i < n; i++) {
            into[(int) start + i] = b.getLong();
        }
        seen.set((int) start, (int) start + n);
    }

    /** Sends page hashes as HASHES frames, then VERIFY_READY. */
    static void sendHashes(org.vmlab.transport.FrameChannel ch, long[] hashes) throws IOException {
        long pages = hashes.length;
        for (long start = 0; start < pages; start += HASHES_PER_FRAME) {
            int n = (int) Math.min(HASHES_PER_FRAME, pages - start);
            ByteBuffer b = ByteBuffer.allocate(12 + 8 * n);
            b.putLong(start).putInt(n);
            for (int i = 0; i < n; i++) {
                b.putLong(hashes[(int) start + i]);
            }
            ch.send(HASHES, b.array());
        }
        ch.send(VERIFY_READY);
    }

    private static void writeMap(DataOutputStream out, Map<String, String> map) throws IOException {
        out.writeInt(map.size());
        for (Map.Entry<String, String> e : map.entrySet()) {
            out.writeUTF(e.getKey());
            out.writeUTF(e.getValue());
        }
    }

    private static Map<String, String> readMap(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 1024) {
            throw new IOException("map of " + n + " entries");
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            m.put(in.readUTF(), in.readUTF());
        }
        return m;
    }

    static DataInputStream in(org.vmlab.transport.Frame f) {
        return new DataInputStream(new ByteArrayInputStream(f.bytes()));
    }

    static byte[] utf(String s) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeUTF(s.length() > 2000 ? s.substring(0, 2000) : s);
        out.flush();
        return bytes.toByteArray();
    }

    static String name(int type) {
        return switch (type) {
            case OPEN -> "OPEN";
            case READY -> "READY";
            case ATTACH -> "ATTACH";
            case PAGES -> "PAGES";
            case FLUSH -> "FLUSH";
            case SWITCHOVER -> "SWITCHOVER";
            case HASHES -> "HASHES";
            case VERIFY_READY -> "VERIFY_READY";
            case COMMIT -> "COMMIT";
            case ABORT -> "ABORT";
            case RESUMED -> "RESUMED";
            case PING -> "PING";
            case ERROR -> "ERROR";
            case POSTCOPY_SWITCH -> "POSTCOPY_SWITCH";
            case POSTCOPY_READY -> "POSTCOPY_READY";
            case REQUEST -> "REQUEST";
            case PROGRESS -> "PROGRESS";
            case COMPLETE -> "COMPLETE";
            case DONE -> "DONE";
            case NATIVE_OPEN -> "NATIVE_OPEN";
            case STREAM -> "STREAM";
            case STREAM_END -> "STREAM_END";
            case LOADED -> "LOADED";
            case VERIFY -> "VERIFY";
            default -> "type " + type;
        };
    }
}
