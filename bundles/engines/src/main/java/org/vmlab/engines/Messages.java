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

import org.vmlab.api.memory.FaultMode;
import org.vmlab.api.memory.PageSet;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.transport.Frame;
import org.vmlab.transport.FrameChannel;
import org.vmlab.transport.Lz4Block;
import org.vmlab.transport.TransportException;

/**
 * The payloads of the migration protocol, one record per {@link FrameType}, each with its
 * {@code write} and its {@code read} side by side so the two ends cannot drift apart (as QEMU's
 * {@code savevm.c} keeps its command table). A {@code read} refuses a malformed payload with a
 * {@link TransportException}: the bytes come from a peer.
 */
final class Messages {
    /** Most pages named in one REQUEST. */
    static final int MAX_REQUEST = 4096;
    /** Hashes per HASHES frame. */
    static final int HASHES_PER_FRAME = 64 * 1024;
    /** Largest frame other than pages, device state and hashes. */
    static final int SMALL_FRAME = 64 * 1024;
    /** Longest reason text an ABORT or ERROR carries. */
    private static final int MAX_REASON = 2000;

    private Messages() {
    }

    /** A payload that knows its frame type and how to write itself. */
    interface Message {
        FrameType type();

        void write(DataOutputStream out) throws IOException;

        default byte[] bytes() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(b);
            write(out);
            out.flush();
            return b.toByteArray();
        }
    }

    /** Opens a migration: the source's id, streams, compression, whether it ends in postcopy, and the VM spec. */
    record Open(String migrationId, int streams, boolean compress, boolean postcopy, VmSpec spec) implements Message {
        public FrameType type() {
            return FrameType.OPEN;
        }

        public void write(DataOutputStream out) throws IOException {
            out.writeUTF(migrationId);
            out.writeInt(streams);
            out.writeBoolean(compress);
            out.writeBoolean(postcopy);
            spec.writeTo(out);
        }

        static Open read(Frame f) throws IOException {
            DataInputStream in = in(f);
            String id = in.readUTF();
            int streams = in.readInt();
            boolean compress = in.readBoolean();
            boolean postcopy = in.readBoolean();
            if (streams < 1 || streams > 64) {
                throw new TransportException("OPEN asks for " + streams + " streams (1..64)");
            }
            return new Open(id, streams, compress, postcopy, readSpec(in));
        }
    }

    /** The destination is ready: the token data streams attach with, its VM's id and page count. */
    record Ready(String token, String destVmId, long pages) implements Message {
        public FrameType type() {
            return FrameType.READY;
        }

        public void write(DataOutputStream out) throws IOException {
            out.writeUTF(token);
            out.writeUTF(destVmId);
            out.writeLong(pages);
        }

        static Ready read(Frame f) throws IOException {
            DataInputStream in = in(f);
            Ready r = new Ready(in.readUTF(), in.readUTF(), in.readLong());
            if (r.pages < 0 || r.pages > Integer.MAX_VALUE) {
                throw new TransportException("destination VM of " + r.pages + " pages");
            }
            return r;
        }
    }

    /** Attaches a data stream to the migration the token names. */
    record Attach(String token, int index) implements Message {
        public FrameType type() {
            return FrameType.ATTACH;
        }

        public void write(DataOutputStream out) throws IOException {
            out.writeUTF(token);
            out.writeInt(index);
        }

        static Attach read(Frame f) throws IOException {
            DataInputStream in = in(f);
            return new Attach(in.readUTF(), in.readInt());
        }
    }

    /** The end of a data stream's pages before a switchover (the count is informational). */
    record Flush(long pages) implements Message {
        public FrameType type() {
            return FrameType.FLUSH;
        }

        public void write(DataOutputStream out) throws IOException {
            out.writeLong(pages);
        }

        static Flush read(Frame f) throws IOException {
            return new Flush(in(f).readLong());
        }
    }

    /** Precopy switchover: whether the destination sends hashes, and the device state. */
    record Switchover(boolean verify, byte[] deviceState) implements Message {
        public FrameType type() {
            return FrameType.SWITCHOVER;
        }

        public void write(DataOutputStream out) throws IOException {
            out.writeBoolean(verify);
            writeBytes(out, deviceState);
        }

        static Switchover read(Frame f) throws IOException {
            DataInputStream in = in(f);
            boolean verify = in.readBoolean();
            return new Switchover(verify, readBytes(in, "device state"));
        }
    }

    /**
     * Postcopy switchover: verification, fault mode, the pages the destination will miss (a bitmap,
     * LZ4-compressed when that is smaller: a few KiB for a mostly present or mostly missing guest of
     * any size), device state.
     */
    record PostcopySwitch(boolean verify, FaultMode mode, PageSet missing, byte[] deviceState) implements Message {
        private static final int RAW = 0;
        private static final int LZ4 = 1;

        public FrameType type() {
            return FrameType.POSTCOPY_SWITCH;
        }

        public void write(DataOutputStream out) throws IOException {
            out.writeBoolean(verify);
            out.writeByte(mode == FaultMode.COOPERATIVE ? 1 : 0);
            long[] words = missing.toBitmap();
            byte[] raw = new byte[words.length * 8];
            ByteBuffer.wrap(raw).asLongBuffer().put(words);
            byte[] packed = new byte[Lz4Block.maxCompressedLength(raw.length)];
            int n = new Lz4Block().compress(raw, 0, raw.length, packed, 0, raw.length - 1);
            out.writeInt(words.length);
            out.writeByte(n < 0 ? RAW : LZ4);
            writeBytes(out, n < 0 ? raw : java.util.Arrays.copyOf(packed, n));
            writeBytes(out, deviceState);
        }

        /** @param pages the destination VM's page count, which the bitmap must cover exactly */
        static PostcopySwitch read(Frame f, long pages) throws IOException {
            DataInputStream in = in(f);
            boolean verify = in.readBoolean();
            int modeByte = in.readByte();
            if (modeByte != 0 && modeByte != 1) {
                throw new TransportException("unknown fault mode " + modeByte);
            }
            int words = in.readInt();
            if (words != (int) ((pages + 63) >>> 6)) {
                throw new TransportException("missing-page bitmap of " + words + " words for " + pages + " pages");
            }
            int encoding = in.readByte();
            byte[] body = readBytes(in, "missing-page bitmap");
            byte[] raw;
            if (encoding == RAW && body.length == words * 8) {
                raw = body;
            } else if (encoding == LZ4) {
                raw = new byte[words * 8];
                Lz4Block.decompress(body, 0, body.length, raw, 0, raw.length);
            } else {
                throw new TransportException("missing-page bitmap encoded " + encoding + " in " + body.length + " bytes");
            }
            long[] bitmap = new long[words];
            ByteBuffer.wrap(raw).asLongBuffer().get(bitmap);
            if (words > 0 && (bitmap[words - 1] & (pages % 64 == 0 ? 0 : -1L << (pages % 64))) != 0) {
                throw new TransportException("missing-page bitmap names pages past " + pages);
            }
            return new PostcopySwitch(verify, modeByte == 1 ? FaultMode.COOPERATIVE : FaultMode.BLOCKING,
                    PageSet.ofBitmap(pages, bitmap), readBytes(in, "device state"));
        }
    }

    /** The destination is ready to resume; its verification hashing kept the guest paused this long. */
    record PostcopyReady(long verifyNanos) implements Message {
        public FrameType type() {
            return FrameType.POSTCOPY_READY;
        }

        public void write(DataOutputStream out) throws IOException {
            out.writeLong(verifyNanos);
        }

        static PostcopyReady read(Frame f) throws IOException {
            long n = in(f).readLong();
            if (n < 0) {
                throw new TransportException("POSTCOPY_READY with " + n + " ns of verification");
            }
            return new PostcopyReady(n);
        }
    }

    /** Page hashes {@code [start, start + hashes.length)}, for verification. */
    record Hashes(long start, long[] hashes) implements Message {
        public FrameType type() {
            return FrameType.HASHES;
        }

        public void write(DataOutputStream out) throws IOException {
            out.writeLong(start);
            out.writeInt(hashes.length);
            for (long h : hashes) {
                out.writeLong(h);
            }
        }

        /** Reads one frame into {@code into}, marking the pages it covers in {@code seen}. */
        static void readInto(Frame f, long[] into, BitSet seen) throws TransportException {
            ByteBuffer b = f.payload();
            if (b.remaining() < 12) {
                throw new TransportException("malformed HASHES frame");
            }
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

        /** Sends every hash as HASHES frames, then VERIFY_READY. */
        static void sendAll(MigrationChannel ch, long[] hashes) throws IOException {
            for (int start = 0; start < hashes.length; start += HASHES_PER_FRAME) {
                int n = Math.min(HASHES_PER_FRAME, hashes.length - start);
                ch.send(new Hashes(start, java.util.Arrays.copyOfRange(hashes, start, start + n)));
            }
            ch.send(FrameType.VERIFY_READY);
        }
    }

    /** Why a peer gives up: ABORT from the source, ERROR from the destination. */
    record Reason(FrameType type, String text) implements Message {
        Reason {
            if (type != FrameType.ABORT && type != FrameType.ERROR) {
                throw new IllegalArgumentException("a reason goes with ABORT or ERROR, not " + type);
            }
        }

        static Reason abort(String text) {
            return new Reason(FrameType.ABORT, text);
        }

        static Reason error(String text) {
            return new Reason(FrameType.ERROR, text);
        }

        public void write(DataOutputStream out) throws IOException {
            out.writeUTF(text.length() > MAX_REASON ? text.substring(0, MAX_REASON) : text);
        }

        static String read(Frame f) throws IOException {
            return in(f).readUTF();
        }
    }

    /** Pages the destination's guest faulted on, to be sent at once. */
    record Request(long[] pfns) implements Message {
        public FrameType type() {
            return FrameType.REQUEST;
        }

        public void write(DataOutputStream out) throws IOException {
            out.writeInt(pfns.length);
            for (long pfn : pfns) {
                out.writeLong(pfn);
            }
        }

        /** @param pages the VM's page count: every page named must be below it */
        static Request read(Frame f, long pages) throws TransportException {
            ByteBuffer b = f.payload();
            int n = b.remaining() >= 4 ? b.getInt() : -1;
            if (n < 0 || n > MAX_REQUEST || b.remaining() != 8L * n) {
                throw new TransportException("malformed REQUEST frame");
            }
            long[] pfns = new long[n];
            for (int i = 0; i < n; i++) {
                pfns[i] = b.getLong();
                if (pfns[i] < 0 || pfns[i] >= pages) {
                    throw new TransportException("REQUEST names page " + pfns[i] + " of " + pages);
                }
            }
            return new Request(pfns);
        }
    }

    /**
     * The destination's postcopy progress, every second: pages still missing, block time, guest
     * throughput and the 99th percentile of its response times (NaN where it measures none).
     */
    record Progress(long missing, long blockNanos, double opsPerSecond, double bytesPerSecond, double p99Micros)
            implements Message {
        public FrameType type() {
            return FrameType.PROGRESS;
        }

        public void write(DataOutputStream out) throws IOException {
            out.writeLong(missing);
            out.writeLong(blockNanos);
            out.writeDouble(opsPerSecond);
            out.writeDouble(bytesPerSecond);
            out.writeDouble(p99Micros);
        }

        static Progress read(Frame f) throws IOException {
            DataInputStream in = in(f);
            Progress p = new Progress(in.readLong(), in.readLong(), in.readDouble(), in.readDouble(), in.readDouble());
            if (!(p.opsPerSecond >= 0 && p.bytesPerSecond >= 0) || p.p99Micros < 0
                    || Double.isInfinite(p.opsPerSecond + p.bytesPerSecond + p.p99Micros)) {
                throw new TransportException("PROGRESS with impossible figures " + p);
            }
            return p;
        }
    }

    /** Every missing page is in: how long postcopy ran and how long the guest waited for pages. */
    record Complete(long postcopyNanos, long blockNanos) implements Message {
        public FrameType type() {
            return FrameType.COMPLETE;
        }

        public void write(DataOutputStream out) throws IOException {
            out.writeLong(postcopyNanos);
            out.writeLong(blockNanos);
        }

        static Complete read(Frame f) throws IOException {
            DataInputStream in = in(f);
            return new Complete(in.readLong(), in.readLong());
        }
    }

    /** Opens a native tunnel: the migration id, the VM spec and the hypervisor's settings. */
    record NativeOpen(String migrationId, VmSpec spec, Map<String, String> settings) implements Message {
        public FrameType type() {
            return FrameType.NATIVE_OPEN;
        }

        public void write(DataOutputStream out) throws IOException {
            out.writeUTF(migrationId);
            spec.writeTo(out);
            out.writeInt(settings.size());
            for (Map.Entry<String, String> e : settings.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeUTF(e.getValue());
            }
        }

        static NativeOpen read(Frame f) throws IOException {
            DataInputStream in = in(f);
            String id = in.readUTF();
            VmSpec spec = readSpec(in);
            int n = in.readInt();
            if (n < 0 || n > 1024) {
                throw new TransportException("NATIVE_OPEN with " + n + " hypervisor settings");
            }
            Map<String, String> m = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                m.put(in.readUTF(), in.readUTF());
            }
            return new NativeOpen(id, spec, m);
        }
    }

    /** The destination's hypervisor has loaded the native stream into this VM. */
    record Loaded(String vmId) implements Message {
        public FrameType type() {
            return FrameType.LOADED;
        }

        public void write(DataOutputStream out) throws IOException {
            out.writeUTF(vmId);
        }

        static Loaded read(Frame f) throws IOException {
            return new Loaded(in(f).readUTF());
        }
    }

    private static VmSpec readSpec(DataInputStream in) throws IOException {
        try {
            return VmSpec.readFrom(in);
        } catch (IllegalArgumentException e) {
            throw new TransportException("bad VM spec: " + e.getMessage(), e);
        }
    }

    private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] readBytes(DataInputStream in, String what) throws IOException {
        int len = in.readInt();
        if (len < 0 || len > FrameChannel.MAX_FRAME || len > in.available()) {
            throw new TransportException(what + " of " + len + " bytes");
        }
        byte[] b = new byte[len];
        in.readFully(b);
        return b;
    }

    private static DataInputStream in(Frame f) {
        return new DataInputStream(new ByteArrayInputStream(f.bytes()));
    }
}
