package org.vmlab.cli.protocol;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The wire format between {@code bin/vmlab} and the running instance, over a Unix domain socket.
 *
 * <p>Request: magic, version, flags, terminal columns, argument count, then each argument as
 * length-prefixed UTF-8. Response: a sequence of frames (type byte, length, payload): stdout and
 * stderr bytes as the command produces them, then one exit frame holding the exit status. Sizes
 * are bounded so that a confused peer gets an error, never an allocation it asked for.
 */
public final class ControlProtocol {
    public static final int MAGIC = 0x564D4C42; // "VMLB"
    /** 2: the request carries the client's working directory. */
    public static final int VERSION = 2;
    public static final int FLAG_STDOUT_TTY = 1;

    public static final byte FRAME_STDOUT = 1;
    public static final byte FRAME_STDERR = 2;
    public static final byte FRAME_EXIT = 3;

    public static final int MAX_ARGS = 1024;
    public static final int MAX_ARG_BYTES = 64 * 1024;
    public static final int MAX_FRAME_BYTES = 1 << 20;

    /** Exit status of a command that ran and failed. */
    public static final int EXIT_FAILED = 1;
    /** Exit status when the request itself was malformed or the command does not exist. */
    public static final int EXIT_USAGE = 2;

    private ControlProtocol() {
    }

    /** A parsed request. */
    /**
     * @param cwd the client's working directory, against which commands resolve relative file
     *            arguments; empty if unknown
     */
    public record Request(int flags, int columns, String cwd, List<String> args) {
        public Request {
            cwd = cwd == null ? "" : cwd;
            args = List.copyOf(args);
        }

        public Request(int flags, int columns, List<String> args) {
            this(flags, columns, "", args);
        }

        public boolean stdoutIsTerminal() {
            return (flags & FLAG_STDOUT_TTY) != 0;
        }

        /** A request with no arguments only asks whether the instance is ready. */
        public boolean isPing() {
            return args.isEmpty();
        }
    }

    public static void writeRequest(DataOutputStream out, Request request) throws IOException {
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeInt(request.flags());
        out.writeInt(request.columns());
        byte[] cwd = request.cwd().getBytes(StandardCharsets.UTF_8);
        out.writeInt(cwd.length);
        out.write(cwd);
        out.writeInt(request.args().size());
        for (String arg : request.args()) {
            byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
            out.writeInt(bytes.length);
            out.write(bytes);
        }
        out.flush();
    }

    public static Request readRequest(DataInputStream in) throws IOException {
        int magic = in.readInt();
        if (magic != MAGIC) {
            throw new ProtocolException(String.format("not a vmlab control request (magic 0x%08x)", magic));
        }
        int version = in.readInt();
        if (version != VERSION) {
            throw new ProtocolException("unsupported control protocol version " + version + " (this instance speaks " + VERSION + ")");
        }
        int flags = in.readInt();
        int columns = in.readInt();
        int cwdLength = in.readInt();
        if (cwdLength < 0 || cwdLength > MAX_ARG_BYTES) {
            throw new ProtocolException("the working directory has a bad length " + cwdLength);
        }
        byte[] cwdBytes = in.readNBytes(cwdLength);
        if (cwdBytes.length != cwdLength) {
            throw new EOFException("request ended inside the working directory");
        }
        String cwd = new String(cwdBytes, StandardCharsets.UTF_8);
        int argc = in.readInt();
        if (argc < 0 || argc > MAX_ARGS) {
            throw new ProtocolException("bad argument count " + argc);
        }
        List<String> args = new ArrayList<>(argc);
        for (int i = 0; i < argc; i++) {
            int len = in.readInt();
            if (len < 0 || len > MAX_ARG_BYTES) {
                throw new ProtocolException("argument " + i + " has a bad length " + len);
            }
            args.add(new String(in.readNBytes(len), StandardCharsets.UTF_8));
            if (args.get(i).getBytes(StandardCharsets.UTF_8).length != len) {
                throw new EOFException("request ended inside argument " + i);
            }
        }
        return new Request(flags, columns, cwd, args);
    }

    public static void writeFrame(DataOutputStream out, byte type, byte[] data, int off, int len) throws IOException {
        out.writeByte(type);
        out.writeInt(len);
        out.write(data, off, len);
    }

    public static void writeExit(DataOutputStream out, int status) throws IOException {
        out.writeByte(FRAME_EXIT);
        out.writeInt(4);
        out.writeInt(status);
        out.flush();
    }

    /** Thrown for bytes that are not a well-formed request or frame. */
    public static final class ProtocolException extends IOException {
        private static final long serialVersionUID = 1L;

        public ProtocolException(String message) {
            super(message);
        }
    }
}
