package org.vmlab.transport;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The authentication that opens every {@link FrameChannel}: the client sends magic {@code VMLB},
 * its protocol version and a 32-byte nonce; the server answers magic, version, a status (0
 * accepted; 1 refused plus a reason), its own nonce and {@code HMAC(secret, 'S'|clientNonce|
 * serverNonce)}; the client checks that and answers {@code HMAC(secret, 'C'|serverNonce|
 * clientNonce)}; the server checks it and answers a final status. Both sides thus prove they know
 * the secret; MACs are compared in constant time.
 */
final class Handshake {
    static final byte[] MAGIC = {'V', 'M', 'L', 'B'};
    static final int NONCE = 32;
    private static final int MAC = 32;

    private final DataInputStream in;
    private final DataOutputStream out;
    private final SocketAddress peer;
    private final SecureRandom random = new SecureRandom();

    Handshake(DataInputStream in, DataOutputStream out, SocketAddress peer) {
        this.in = in;
        this.out = out;
        this.peer = peer;
    }

    void asClient(SharedSecret secret, int version) throws IOException {
        byte[] nc = new byte[NONCE];
        random.nextBytes(nc);
        out.write(MAGIC);
        out.writeShort(version);
        out.write(nc);
        out.flush();
        readMagic("server");
        int serverVersion = in.readUnsignedShort();
        int status = in.readUnsignedByte();
        if (status != 0) {
            throw new TransportException("server refused the connection: " + readReason());
        }
        if (serverVersion != version) {
            throw new TransportException("server speaks protocol version " + serverVersion + ", not " + version);
        }
        byte[] ns = readN(NONCE);
        byte[] macS = readN(MAC);
        if (!SharedSecret.constantTimeEquals(macS, secret.mac((byte) 'S', nc, ns))) {
            throw new TransportException("server failed authentication (it does not know the shared secret)");
        }
        out.write(secret.mac((byte) 'C', ns, nc));
        out.flush();
        int done = in.readUnsignedByte();
        if (done != 0) {
            throw new TransportException("server refused the connection: " + readReason());
        }
    }

    void asServer(SharedSecret secret) throws IOException {
        readMagic("client");
        int version = in.readUnsignedShort();
        byte[] nc = readN(NONCE);
        out.write(MAGIC);
        out.writeShort(FrameChannel.VERSION);
        if (version != FrameChannel.VERSION) {
            refuse("unsupported protocol version " + version + " (this receiver speaks " + FrameChannel.VERSION + ")");
        }
        out.writeByte(0);
        byte[] ns = new byte[NONCE];
        random.nextBytes(ns);
        out.write(ns);
        out.write(secret.mac((byte) 'S', nc, ns));
        out.flush();
        byte[] macC = readN(MAC);
        if (!SharedSecret.constantTimeEquals(macC, secret.mac((byte) 'C', ns, nc))) {
            refuse("authentication failed (wrong shared secret)");
        }
        out.writeByte(0);
        out.flush();
    }

    private void refuse(String reason) throws IOException {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        out.writeByte(1);
        out.writeByte(Math.min(255, r.length));
        out.write(r, 0, Math.min(255, r.length));
        out.flush();
        throw new TransportException("refused " + peer + ": " + reason);
    }

    private String readReason() throws IOException {
        int n = in.readUnsignedByte();
        return new String(readN(n), StandardCharsets.UTF_8);
    }

    private void readMagic(String who) throws IOException {
        byte[] m = readN(MAGIC.length);
        if (!Arrays.equals(m, MAGIC)) {
            String hint = "";
            if (m[1] == 3 && m[0] == 0x16) {
                hint = " (that is a TLS handshake: the peer uses TLS, this node does not)";
            } else if (m[1] == 3 && m[0] == 0x15) {
                hint = " (that is a TLS alert: the peer requires TLS, this node does not use it)";
            }
            throw new TransportException("not a vmlab migration peer: the " + who + " " + peer + " sent bytes "
                    + HexFormat.of().formatHex(m) + " instead of the magic 'VMLB'" + hint);
        }
    }

    private byte[] readN(int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }
}
