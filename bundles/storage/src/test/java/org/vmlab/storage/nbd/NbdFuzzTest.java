package org.vmlab.storage.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmlab.storage.block.FileBlockDevice;
import org.vmlab.storage.nbd.NbdMessages.OptionReply;
import org.vmlab.storage.nbd.NbdMessages.OptionRequest;
import org.vmlab.storage.nbd.NbdMessages.ReplyHeader;
import org.vmlab.storage.nbd.NbdMessages.Request;

/**
 * Bad input: random and truncated handshakes, requests outside the export, huge lengths, unknown
 * commands and options, clients that vanish mid-request. The server answers with NBD error codes,
 * keeps serving others and leaks no thread.
 */
class NbdFuzzTest {
    private static final int SIZE = 1 << 20;

    @TempDir
    Path dir;
    private NbdServer server;
    private FileBlockDevice disk;

    @BeforeEach
    void start() throws Exception {
        disk = FileBlockDevice.open(dir.resolve("d.img"), SIZE, false);
        server = NbdServer.start("127.0.0.1", 0, 64, 2_000);
        server.addExport(new DeviceExport("d", "", disk, null));
    }

    @AfterEach
    void stop() {
        server.close();
        disk.close();
    }

    /** Opens a connection through the handshake (structured replies on when asked) and GO. */
    private Socket negotiated(boolean structured) throws IOException {
        Socket s = new Socket("127.0.0.1", server.port());
        s.setSoTimeout(5000);
        DataInputStream in = new DataInputStream(s.getInputStream());
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        assertEquals(Nbd.NBDMAGIC, in.readLong());
        assertEquals(Nbd.IHAVEOPT, in.readLong());
        in.readUnsignedShort();
        out.writeInt(Nbd.FLAG_C_FIXED_NEWSTYLE | Nbd.FLAG_C_NO_ZEROES);
        if (structured) {
            new OptionRequest(Nbd.OPT_STRUCTURED_REPLY, new byte[0]).write(out);
            assertEquals(Nbd.REP_ACK, OptionReply.read(in).type());
        }
        ByteBuffer go = ByteBuffer.allocate(4 + 1 + 2).putInt(1).put((byte) 'd').putShort((short) 0);
        new OptionRequest(Nbd.OPT_GO, go.array()).write(out);
        for (OptionReply r = OptionReply.read(in); r.type() != Nbd.REP_ACK; r = OptionReply.read(in)) {
            assertTrue(!r.isError(), "GO refused");
        }
        return s;
    }

    private static void send(Socket s, int flags, int type, long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Request.SIZE);
        new Request(flags, type, 42, offset, length).write(b);
        s.getOutputStream().write(b.array());
    }

    private static int simpleError(Socket s) throws IOException {
        ReplyHeader h = ReplyHeader.read(new DataInputStream(s.getInputStream()));
        assertEquals(42, h.cookie());
        if (!h.structured()) {
            return h.error();
        }
        DataInputStream in = new DataInputStream(s.getInputStream());
        assertTrue(h.isErrorChunk(), "an error chunk, not type " + h.type());
        int err = in.readInt();
        in.skipNBytes(h.length() - 4);
        return err;
    }

    @Test
    void requestsOutsideTheExportGetEinvalAndTheConnectionGoesOn() throws Exception {
        for (boolean structured : new boolean[] {false, true}) {
            try (Socket s = negotiated(structured)) {
                send(s, 0, Nbd.CMD_READ, SIZE - 512, 4096);
                assertEquals(Nbd.EINVAL, simpleError(s));
                send(s, 0, Nbd.CMD_READ, Long.MAX_VALUE - 10, 4096);
                assertEquals(Nbd.EINVAL, simpleError(s));
                send(s, 0, Nbd.CMD_READ, -4096, 4096);
                assertEquals(Nbd.EINVAL, simpleError(s));
                send(s, 0, Nbd.CMD_READ, 0, 0xFFFF_FFF0); // 4 GiB
                assertEquals(Nbd.EOVERFLOW, simpleError(s));
                send(s, 0, 99, 0, 4096); // unknown command
                assertEquals(Nbd.EINVAL, simpleError(s));
                send(s, 0, Nbd.CMD_TRIM, SIZE, 1);
                assertEquals(Nbd.EINVAL, simpleError(s));
                send(s, 0, Nbd.CMD_WRITE_ZEROES, SIZE - 1, 2);
                assertEquals(Nbd.EINVAL, simpleError(s));
                send(s, 0, Nbd.CMD_BLOCK_STATUS, 0, 4096); // no context negotiated
                assertEquals(Nbd.EINVAL, simpleError(s));
                send(s, 0, Nbd.CMD_WRITE, SIZE, 8); // outside, payload still consumed
                s.getOutputStream().write(new byte[8]);
                assertEquals(Nbd.EINVAL, simpleError(s));
                // still in sync: a good read works
                send(s, 0, Nbd.CMD_READ, 0, 16);
                ReplyHeader h = ReplyHeader.read(new DataInputStream(s.getInputStream()));
                assertEquals(0, h.error());
                new DataInputStream(s.getInputStream()).skipNBytes(structured ? h.length() : 16);
            }
        }
    }

    @Test
    void hugeWriteIsRefusedWithEoverflowAndTheConnectionClosed() throws Exception {
        try (Socket s = negotiated(false)) {
            send(s, 0, Nbd.CMD_WRITE, 0, 0x7FFF_FFFF);
            assertEquals(Nbd.EOVERFLOW, simpleError(s));
            assertEquals(-1, s.getInputStream().read());
        }
    }

    @Test
    void unknownOptionsGetErrUnsupAndMalformedOnesErrInvalid() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(5000);
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            in.skipNBytes(18);
            out.writeInt(Nbd.FLAG_C_FIXED_NEWSTYLE);
            for (int opt : new int[] {4, 5, 11, 12, 999, 0x7fffffff}) {
                new OptionRequest(opt, new byte[] {1, 2, 3}).write(out);
                OptionReply r = OptionReply.read(in);
                assertEquals(opt, r.option());
                assertEquals(Nbd.REP_ERR_UNSUP, r.type());
            }
            new OptionRequest(Nbd.OPT_GO, new byte[] {0, 0, 0, 9, 'x'}).write(out);
            assertEquals(Nbd.REP_ERR_INVALID, OptionReply.read(in).type());
            new OptionRequest(Nbd.OPT_LIST, new byte[] {1}).write(out);
            assertEquals(Nbd.REP_ERR_INVALID, OptionReply.read(in).type());
            new OptionRequest(Nbd.OPT_SET_META_CONTEXT, new byte[0]).write(out);
            assertEquals(Nbd.REP_ERR_INVALID, OptionReply.read(in).type()); // before structured replies
            ByteBuffer go = ByteBuffer.allocate(4 + 4 + 2).putInt(4).put("nope".getBytes()).putShort((short) 0);
            new OptionRequest(Nbd.OPT_INFO, go.array()).write(out);
            assertEquals(Nbd.REP_ERR_UNKNOWN, OptionReply.read(in).type());
            new OptionRequest(Nbd.OPT_ABORT, new byte[0]).write(out);
            assertEquals(Nbd.REP_ACK, OptionReply.read(in).type());
            assertEquals(-1, in.read());
        }
    }

    @Test
    void randomTruncatedAndVanishingClientsNeitherCrashNorLeak() throws Exception {
        Random rnd = new Random(13);
        for (int i = 0; i < 300; i++) {
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.setSoLinger(true, 0);
                int kind = i % 4;
                if (kind == 0) { // random garbage as the handshake
                    byte[] junk = new byte[rnd.nextInt(200)];
                    rnd.nextBytes(junk);
                    s.getOutputStream().write(junk);
                } else if (kind == 1) { // truncated: half the client flags, or an option header cut short
                    DataOutputStream out = new DataOutputStream(s.getOutputStream());
                    out.writeInt(Nbd.FLAG_C_FIXED_NEWSTYLE);
                    out.writeLong(Nbd.IHAVEOPT);
                    out.writeInt(Nbd.OPT_GO);
                    out.writeInt(rnd.nextInt());
                } else {
                    s.close();
                    try (Socket t = negotiated(kind == 3)) {
                        t.setSoLinger(true, 0);
                        byte[] junk = new byte[rnd.nextInt(100)];
                        rnd.nextBytes(junk);
                        if (rnd.nextBoolean()) { // a write whose payload never comes
                            send(t, 0, Nbd.CMD_WRITE, 0, 65536);
                            t.getOutputStream().write(junk);
                        } else { // valid magic, random rest
                            ByteBuffer b = ByteBuffer.allocate(Request.SIZE);
                            new Request(rnd.nextInt(1 << 16), rnd.nextInt(1 << 16), 42, rnd.nextLong(),
                                    rnd.nextInt()).write(b);
                            t.getOutputStream().write(b.array(), 0, 4 + rnd.nextInt(Request.SIZE - 4));
                        }
                    }
                }
            }
        }
        // Another client is served all along and afterwards.
        try (NbdClient c = NbdClient.connect("127.0.0.1", server.port(), "d", List.of(Nbd.BASE_ALLOCATION), 8, 5000)) {
            byte[] data = new byte[8192];
            rnd.nextBytes(data);
            c.write(4096, ByteBuffer.wrap(data), true);
            ByteBuffer back = ByteBuffer.allocate(8192);
            c.read(4096, back);
            assertArrayEquals(data, back.array());
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (server.activeConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, server.activeConnections(), "connection threads left behind");
        long live = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("vmlab-nbd-/")).count();
        assertEquals(0, live, "NBD connection threads still alive");
    }
}
