package org.vmlab.storage.nbd;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

import org.vmlab.storage.nbd.NbdMessages.OptionReply;
import org.vmlab.storage.nbd.NbdMessages.OptionRequest;
import org.vmlab.storage.nbd.NbdMessages.ProtocolException;

/**
 * The server side of the fixed newstyle handshake: greeting, client flags, then options until
 * {@code NBD_OPT_GO} or {@code NBD_OPT_EXPORT_NAME} picks an export. Options it does not know get
 * {@code NBD_REP_ERR_UNSUP}; malformed ones {@code NBD_REP_ERR_INVALID}.
 */
final class ServerHandshake {
    private static final int MAX_OPTIONS = 256;

    private final DataInputStream in;
    private final DataOutputStream out;
    private final Function<String, NbdExport> lookup;
    private final Supplier<List<NbdExport>> all;
    private boolean structured;
    private boolean noZeroes;
    private String contextExport;
    private Map<Integer, String> contexts = Map.of();

    ServerHandshake(DataInputStream in, DataOutputStream out, Function<String, NbdExport> lookup,
                    Supplier<List<NbdExport>> all) {
        this.in = in;
        this.out = out;
        this.lookup = lookup;
        this.all = all;
    }

    /** Runs the handshake; {@code null} if the client aborted or asked for an unknown export by name. */
    Negotiated run() throws IOException {
        out.writeLong(Nbd.NBDMAGIC);
        out.writeLong(Nbd.IHAVEOPT);
        out.writeShort(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES);
        out.flush();
        int clientFlags = in.readInt();
        if ((clientFlags & ~(Nbd.FLAG_C_FIXED_NEWSTYLE | Nbd.FLAG_C_NO_ZEROES)) != 0) {
            throw new ProtocolException("unknown client flags 0x" + Integer.toHexString(clientFlags));
        }
        noZeroes = (clientFlags & Nbd.FLAG_C_NO_ZEROES) != 0;
        for (int n = 0; n < MAX_OPTIONS; n++) {
            OptionRequest opt = OptionRequest.read(in);
            switch (opt.option()) {
                case Nbd.OPT_EXPORT_NAME -> {
                    return exportName(opt);
                }
                case Nbd.OPT_ABORT -> {
                    reply(opt, Nbd.REP_ACK, new byte[0]);
                    return null;
                }
                case Nbd.OPT_GO, Nbd.OPT_INFO -> {
                    Negotiated done = infoOrGo(opt);
                    if (done != null) {
                        return done;
                    }
                }
                case Nbd.OPT_LIST -> list(opt);
                case Nbd.OPT_STRUCTURED_REPLY -> {
                    if (opt.data().length != 0) {
                        error(opt, Nbd.REP_ERR_INVALID, "NBD_OPT_STRUCTURED_REPLY takes no data");
                    } else {
                        structured = true;
                        reply(opt, Nbd.REP_ACK, new byte[0]);
                    }
                }
                case Nbd.OPT_LIST_META_CONTEXT, Nbd.OPT_SET_META_CONTEXT -> metaContext(opt);
                default -> error(opt, Nbd.REP_ERR_UNSUP, "option " + opt.option() + " is not supported");
            }
        }
        throw new ProtocolException("more than " + MAX_OPTIONS + " options");
    }

    private Negotiated exportName(OptionRequest opt) throws IOException {
        NbdExport e = lookup.apply(new String(opt.data(), StandardCharsets.UTF_8));
        if (e == null) {
            return null; // the spec's only answer to an unknown name here: close
        }
        out.writeLong(e.size());
        out.writeShort(transmissionFlags(e));
        if (!noZeroes) {
            out.write(new byte[124]);
        }
        out.flush();
        return new Negotiated(e, false, Map.of());
    }

    private Negotiated infoOrGo(OptionRequest opt) throws IOException {
        ByteBuffer d = ByteBuffer.wrap(opt.data());
        String name;
        List<Integer> infos = new ArrayList<>();
        try {
            name = NbdMessages.readString(d, Nbd.MAX_STRING);
            int n = Short.toUnsignedInt(d.getShort());
            for (int i = 0; i < n; i++) {
                infos.add(Short.toUnsignedInt(d.getShort()));
            }
            if (d.hasRemaining()) {
                throw new ProtocolException("trailing bytes");
            }
        } catch (ProtocolException | BufferUnderflowException ex) {
            error(opt, Nbd.REP_ERR_INVALID, "malformed NBD_OPT_INFO/GO data");
            return null;
        }
        NbdExport e = lookup.apply(name);
        if (e == null) {
            error(opt, Nbd.REP_ERR_UNKNOWN, "no export named '" + name + "'");
            return null;
        }
        ByteBuffer info = ByteBuffer.allocate(12);
        info.putShort((short) Nbd.INFO_EXPORT).putLong(e.size()).putShort((short) transmissionFlags(e));
        reply(opt, Nbd.REP_INFO, info.array());
        if (infos.contains(Nbd.INFO_NAME)) {
            byte[] nb = e.name().getBytes(StandardCharsets.UTF_8);
            reply(opt, Nbd.REP_INFO, ByteBuffer.allocate(2 + nb.length).putShort((short) Nbd.INFO_NAME).put(nb).array());
        }
        if (infos.contains(Nbd.INFO_DESCRIPTION) && !e.description().isEmpty()) {
            byte[] db = e.description().getBytes(StandardCharsets.UTF_8);
            reply(opt, Nbd.REP_INFO, ByteBuffer.allocate(2 + db.length).putShort((short) Nbd.INFO_DESCRIPTION).put(db)
                    .array());
        }
        ByteBuffer bs = ByteBuffer.allocate(14);
        bs.putShort((short) Nbd.INFO_BLOCK_SIZE).putInt(1).putInt(4096).putInt(Nbd.MAX_PAYLOAD);
        reply(opt, Nbd.REP_INFO, bs.array());
        reply(opt, Nbd.REP_ACK, new byte[0]);
        if (opt.option() == Nbd.OPT_INFO) {
            return null;
        }
        boolean sameExport = e.name().equals(contextExport) || (contextExport != null && lookup.apply(contextExport) == e);
        return new Negotiated(e, structured, sameExport ? contexts : Map.of());
    }

    private void list(OptionRequest opt) throws IOException {
        if (opt.data().length != 0) {
            error(opt, Nbd.REP_ERR_INVALID, "NBD_OPT_LIST takes no data");
            return;
        }
        for (NbdExport e : all.get()) {
            ByteBuffer b = ByteBuffer.allocate(NbdMessages.stringSize(e.name()));
            NbdMessages.writeString(b, e.name());
            reply(opt, Nbd.REP_SERVER, b.array());
        }
        reply(opt, Nbd.REP_ACK, new byte[0]);
    }

    private void metaContext(OptionRequest opt) throws IOException {
        boolean set = opt.option() == Nbd.OPT_SET_META_CONTEXT;
        if (set && !structured) {
            error(opt, Nbd.REP_ERR_INVALID, "negotiate NBD_OPT_STRUCTURED_REPLY first");
            return;
        }
        ByteBuffer d = ByteBuffer.wrap(opt.data());
        String name;
        List<String> queries = new ArrayList<>();
        try {
            name = NbdMessages.readString(d, Nbd.MAX_STRING);
            int n = d.getInt();
            if (n < 0 || n > 64) {
                throw new ProtocolException("too many queries");
            }
            for (int i = 0; i < n; i++) {
                queries.add(NbdMessages.readString(d, Nbd.MAX_STRING));
            }
            if (d.hasRemaining()) {
                throw new ProtocolException("trailing bytes");
            }
        } catch (ProtocolException | BufferUnderflowException ex) {
            error(opt, Nbd.REP_ERR_INVALID, "malformed meta context request");
            return;
        }
        NbdExport e = lookup.apply(name);
        if (e == null) {
            error(opt, Nbd.REP_ERR_UNKNOWN, "no export named '" + name + "'");
            return;
        }
        Map<Integer, String> chosen = new LinkedHashMap<>();
        List<String> offered = e.contexts();
        for (int id = 0; id < offered.size(); id++) {
            String c = offered.get(id);
            boolean wanted = queries.isEmpty() ? !set : queries.stream().anyMatch(q -> q.equals(c)
                    || (!set && q.endsWith(":") && c.startsWith(q)));
            if (wanted) {
                chosen.put(id + 1, c);
            }
        }
        for (Map.Entry<Integer, String> c : chosen.entrySet()) {
            byte[] nb = c.getValue().getBytes(StandardCharsets.UTF_8);
            reply(opt, Nbd.REP_META_CONTEXT, ByteBuffer.allocate(4 + nb.length).putInt(set ? c.getKey() : 0).put(nb)
                    .array());
        }
        if (set) {
            contextExport = name;
            contexts = chosen;
        }
        reply(opt, Nbd.REP_ACK, new byte[0]);
    }

    static int transmissionFlags(NbdExport e) {
        int f = Nbd.FLAG_HAS_FLAGS | Nbd.FLAG_SEND_FLUSH | Nbd.FLAG_SEND_FUA | Nbd.FLAG_CAN_MULTI_CONN;
        if (e.isReadOnly()) {
            f |= Nbd.FLAG_READ_ONLY;
        } else {
            f |= Nbd.FLAG_SEND_TRIM | Nbd.FLAG_SEND_WRITE_ZEROES;
        }
        return f;
    }

    private void reply(OptionRequest opt, int type, byte[] data) throws IOException {
        new OptionReply(opt.option(), type, data).write(out);
        out.flush();
    }

    private void error(OptionRequest opt, int type, String message) throws IOException {
        OptionReply.error(opt.option(), type, message).write(out);
        out.flush();
    }
}
