package org.vmlab.pagecache;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The SAN endpoint's protocol on loopback, one typed message per kind with its write and read
 * side by side. A connection opens with {@link Hello} (the session token the service handed out);
 * then the client sends {@link Read}s one at a time and gets a {@link Data} or an {@link Failure}
 * for each.
 */
final class SanWire {
    static final int HELLO = 1;
    static final int READ = 2;
    static final int DATA = 3;
    static final int FAILURE = 4;
    static final int TOKEN_BYTES = 16;
    /** Most blocks one request may ask for (4 MiB). */
    static final int MAX_BLOCKS = 1024;

    private SanWire() {
    }

    record Hello(byte[] token) {
        void write(DataOutputStream out) throws IOException {
            out.writeByte(HELLO);
            out.write(token);
            out.flush();
        }

        static Hello read(DataInputStream in) throws IOException {
            expect(in, HELLO);
            byte[] t = new byte[TOKEN_BYTES];
            in.readFully(t);
            return new Hello(t);
        }
    }

    record Read(long first, int count) {
        void write(DataOutputStream out) throws IOException {
            out.writeByte(READ);
            out.writeLong(first);
            out.writeInt(count);
            out.flush();
        }

        /** The next request, or null at the end of the stream. */
        static Read read(DataInputStream in) throws IOException {
            int kind = in.read();
            if (kind < 0) {
                return null;
            }
            if (kind != READ) {
                throw new IOException("expected READ, got message " + kind);
            }
            long first = in.readLong();
            int count = in.readInt();
            if (first < 0 || count < 1 || count > MAX_BLOCKS) {
                throw new IOException("bad READ of " + count + " blocks at " + first);
            }
            return new Read(first, count);
        }
    }

    /** The header of a DATA answer; {@code count} blocks of 4 KiB follow. */
    static void writeDataHeader(DataOutputStream out, int count) throws IOException {
        out.writeByte(DATA);
        out.writeInt(count);
    }

    static void writeFailure(DataOutputStream out, String why) throws IOException {
        out.writeByte(FAILURE);
        out.writeUTF(why.length() > 1000 ? why.substring(0, 1000) : why);
        out.flush();
    }

    /** Reads an answer's header: the block count of DATA, or throws with the FAILURE's reason. */
    static int readAnswer(DataInputStream in, int expected) throws IOException {
        int kind = in.readUnsignedByte();
        if (kind == FAILURE) {
            throw new IOException("SAN endpoint: " + in.readUTF());
        }
        if (kind != DATA) {
            throw new IOException("expected DATA, got message " + kind);
        }
        int count = in.readInt();
        if (count != expected) {
            throw new IOException("SAN endpoint sent " + count + " blocks, asked " + expected);
        }
        return count;
    }

    private static void expect(DataInputStream in, int kind) throws IOException {
        int k = in.readUnsignedByte();
        if (k != kind) {
            throw new IOException("expected message " + kind + ", got " + k);
        }
    }
}
