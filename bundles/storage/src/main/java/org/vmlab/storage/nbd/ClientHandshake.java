package org.vmlab.storage.nbd;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.vmlab.storage.nbd.NbdMessages.OptionReply;
import org.vmlab.storage.nbd.NbdMessages.OptionRequest;
import org.vmlab.storage.nbd.NbdMessages.ProtocolException;

/** The client side of the fixed newstyle handshake: structured replies, meta contexts, then GO. */
final class ClientHandshake {

    record Result(long size, int flags, boolean structured, Map<String, Integer> contexts) {
    }

    private ClientHandshake() {
    }

    static Result run(DataInputStream in, DataOutputStream out, String export, List<String> contexts)
            throws IOException {
        if (in.readLong() != Nbd.NBDMAGIC || in.readLong() != Nbd.IHAVEOPT) {
            throw new ProtocolException("not an NBD newstyle server");
        }
        int serverFlags = in.readUnsignedShort();
        if ((serverFlags & Nbd.FLAG_FIXED_NEWSTYLE) == 0) {
            throw new ProtocolException("the server does not speak fixed newstyle");
        }
        out.writeInt(Nbd.FLAG_C_FIXED_NEWSTYLE | (serverFlags & Nbd.FLAG_NO_ZEROES));
        new OptionRequest(Nbd.OPT_STRUCTURED_REPLY, new byte[0]).write(out);
        out.flush();
        OptionReply sr = OptionReply.read(in);
        boolean structured = sr.type() == Nbd.REP_ACK;
        Map<String, Integer> ids = new HashMap<>();
        if (structured && !contexts.isEmpty()) {
            int size = NbdMessages.stringSize(export) + 4;
            for (String c : contexts) {
                size += NbdMessages.stringSize(c);
            }
            ByteBuffer b = ByteBuffer.allocate(size);
            NbdMessages.writeString(b, export);
            b.putInt(contexts.size());
            contexts.forEach(c -> NbdMessages.writeString(b, c));
            new OptionRequest(Nbd.OPT_SET_META_CONTEXT, b.array()).write(out);
            out.flush();
            for (OptionReply r = OptionReply.read(in); r.type() != Nbd.REP_ACK; r = OptionReply.read(in)) {
                if (r.isError()) {
                    break;
                }
                ByteBuffer d = ByteBuffer.wrap(r.data());
                int id = d.getInt();
                ids.put(StandardCharsets.UTF_8.decode(d).toString(), id);
            }
        }
        byte[] name = export.getBytes(StandardCharsets.UTF_8);
        ByteBuffer go = ByteBuffer.allocate(4 + name.length + 2);
        go.putInt(name.length).put(name).putShort((short) 0);
        new OptionRequest(Nbd.OPT_GO, go.array()).write(out);
        out.flush();
        long size = -1;
        int flags = 0;
        for (OptionReply r = OptionReply.read(in); r.type() != Nbd.REP_ACK; r = OptionReply.read(in)) {
            if (r.isError()) {
                throw new NbdException(Nbd.EINVAL, "the server refused export '" + export + "': "
                        + new String(r.data(), StandardCharsets.UTF_8));
            }
            ByteBuffer d = ByteBuffer.wrap(r.data());
            if (r.type() == Nbd.REP_INFO && d.remaining() >= 12 && d.getShort() == Nbd.INFO_EXPORT) {
                size = d.getLong();
                flags = Short.toUnsignedInt(d.getShort());
            }
        }
        if (size < 0) {
            throw new ProtocolException("the server sent no export size");
        }
        return new Result(size, flags, structured, structured ? ids : Map.of());
    }
}
