package org.vmlab.storage.nbd;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The NBD protocol as a table of typed messages, each with its read and its write side by side.
 * All integers are big-endian, as the spec and {@link DataInputStream} agree.
 */
public final class NbdMessages {
    private NbdMessages() {
    }

    /** A protocol violation that the peer caused; the connection cannot go on. */
    public static final class ProtocolException extends IOException {
        private static final long serialVersionUID = 1L;

        public ProtocolException(String message) {
            super(message);
        }
    }

    /** Client to server during the handshake: {@code IHAVEOPT, option, length, data}. */
    public record OptionRequest(int option, byte[] data) {
        public static OptionRequest read(DataInputStream in) throws IOException {
            long magic = in.readLong();
            if (magic != Nbd.IHAVEOPT) {
                throw new ProtocolException("option without IHAVEOPT magic: 0x" + Long.toHexString(magic));
            }
            int option = in.readInt();
            int length = in.readInt();
            if (length < 0 || length > Nbd.MAX_OPTION) {
                throw new ProtocolException("option " + option + " with " + Integer.toUnsignedString(length)
                        + " bytes of data (at most " + Nbd.MAX_OPTION + ")");
            }
            byte[] data = new byte[length];
            in.readFully(data);
            return new OptionRequest(option, data);
        }

        public void write(DataOutputStream out) throws IOException {
            out.writeLong(Nbd.IHAVEOPT);
            out.writeInt(option);
            out.writeInt(data.length);
            out.write(data);
        }
    }

    /** Server to client during the handshake: {@code REPLY_MAGIC, option, type, length, data}. */
    public record OptionReply(int option, int type, byte[] data) {
        public static OptionReply read(DataInputStream in) throws IOException {
            long magic = in.readLong();
            if (magic != Nbd.REPLY_MAGIC) {
                throw new ProtocolException("option reply without its magic: 0x" + Long.toHexString(magic));
            }
            int option = in.readInt();
            int type = in.readInt();
            int length = in.readInt();
            if (length < 0 || length > Nbd.MAX_OPTION) {
                throw new ProtocolException("option reply of " + Integer.toUnsignedString(length) + " bytes");
            }
            byte[] data = new byte[length];
            in.readFully(data);
            return new OptionReply(option, type, data);
        }

        public void write(DataOutputStream out) throws IOException {
            out.writeLong(Nbd.REPLY_MAGIC);
            out.writeInt(option);
            out.writeInt(type);
            out.writeInt(data.length);
            out.write(data);
        }

        public boolean isError() {
            return type < 0;
        }

        /** An error reply with a human-readable message, as the spec allows. */
        public static OptionReply error(int option, int type, String message) {
            return new OptionReply(option, type, message.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A transmission request: {@code magic, flags, type, cookie, offset, length} (28 bytes). */
    public record Request(int flags, int type, long cookie, long offset, int length) {
        public static final int SIZE = 28;

        public static Request read(DataInputStream in) throws IOException {
            int magic = in.readInt();
            if (magic != Nbd.REQUEST_MAGIC) {
                throw new ProtocolException("request without its magic: 0x" + Integer.toHexString(magic));
            }
            int flags = in.readUnsignedShort();
            int type = in.readUnsignedShort();
            return new Request(flags, type, in.readLong(), in.readLong(), in.readInt());
        }

        public void write(ByteBuffer out) {
            out.putInt(Nbd.REQUEST_MAGIC).putShort((short) flags).putShort((short) type).putLong(cookie)
                    .putLong(offset).putInt(length);
        }

        public long unsignedLength() {
            return Integer.toUnsignedLong(length);
        }

        /** Whether {@code [offset, offset + length)} lies inside an export of {@code size} bytes. */
        public boolean inside(long size) {
            return offset >= 0 && offset <= size && unsignedLength() <= size - offset;
        }
    }

    /** A simple reply: {@code magic, error, cookie} (16 bytes), then the data of a READ. */
    public record SimpleReply(int error, long cookie) {
        public static final int SIZE = 16;

        public void write(ByteBuffer out) {
            out.putInt(Nbd.SIMPLE_REPLY_MAGIC).putInt(error).putLong(cookie);
        }
    }

    /**
     * The header of any reply: a simple one ({@code structured} false, {@code length} 0) or one
     * structured chunk {@code magic, flags, type, cookie, length} (20 bytes, then the payload).
     */
    public record ReplyHeader(boolean structured, int error, int flags, int type, long cookie, int length) {
        public static final int CHUNK_SIZE = 20;

        public static ReplyHeader read(DataInputStream in) throws IOException {
            int magic = in.readInt();
            if (magic == Nbd.SIMPLE_REPLY_MAGIC) {
                int error = in.readInt();
                return new ReplyHeader(false, error, Nbd.REPLY_FLAG_DONE, Nbd.REPLY_TYPE_NONE, in.readLong(), 0);
            }
            if (magic != Nbd.STRUCTURED_REPLY_MAGIC) {
                throw new ProtocolException("reply without a known magic: 0x" + Integer.toHexString(magic));
            }
            int flags = in.readUnsignedShort();
            int type = in.readUnsignedShort();
            long cookie = in.readLong();
            int length = in.readInt();
            if (length < 0 || length > Nbd.MAX_PAYLOAD + 64) {
                throw new ProtocolException("reply chunk of " + Integer.toUnsignedString(length) + " bytes");
            }
            return new ReplyHeader(true, 0, flags, type, cookie, length);
        }

        public static void writeChunk(ByteBuffer out, int flags, int type, long cookie, int length) {
            out.putInt(Nbd.STRUCTURED_REPLY_MAGIC).putShort((short) flags).putShort((short) type).putLong(cookie)
                    .putInt(length);
        }

        public boolean done() {
            return (flags & Nbd.REPLY_FLAG_DONE) != 0;
        }

        public boolean isErrorChunk() {
            return (type & (1 << 15)) != 0;
        }
    }

    /** One extent of a block-status chunk: {@code length, state flags}. */
    public record Extent(int length, int state) {
        public static final int SIZE = 8;

        public static Extent read(DataInputStream in) throws IOException {
            return new Extent(in.readInt(), in.readInt());
        }

        public void write(ByteBuffer out) {
            out.putInt(length).putInt(state);
        }
    }

    /** Reads a {@code u32 length, bytes} string, refusing lengths beyond {@code max}. */
    public static String readString(ByteBuffer in, int max) throws ProtocolException {
        if (in.remaining() < 4) {
            throw new ProtocolException("truncated string length");
        }
        int n = in.getInt();
        if (n < 0 || n > max || n > in.remaining()) {
            throw new ProtocolException("string of " + Integer.toUnsignedString(n) + " bytes with "
                    + in.remaining() + " left");
        }
        byte[] b = new byte[n];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    public static void writeString(ByteBuffer out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.putInt(b.length).put(b);
    }

    public static int stringSize(String s) {
        return 4 + s.getBytes(StandardCharsets.UTF_8).length;
    }
}
