package org.vmlab.cli.client;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.vmlab.cli.protocol.ControlProtocol;
import org.vmlab.cli.protocol.ControlProtocol.Request;

/**
 * The JVM side of {@code bin/vmlab}: sends one command to the running instance over its control
 * socket, copies the command's stdout and stderr, and exits with its status. Plain JDK only, so it
 * starts fast and runs outside OSGi.
 *
 * <pre>
 * VmlabClient --socket PATH [--ping] [--] command args...
 * </pre>
 * Exit status: the command's; 2 for a usage error; 3 when no instance answers on the socket.
 */
public final class VmlabClient {
    static final int EXIT_NO_INSTANCE = 3;

    private VmlabClient() {
    }

    public static void main(String[] argv) {
        System.exit(run(argv));
    }

    static int run(String[] argv) {
        Path socket = null;
        boolean ping = false;
        List<String> args = new ArrayList<>();
        int i = 0;
        for (; i < argv.length; i++) {
            if (argv[i].equals("--socket") && i + 1 < argv.length) {
                socket = Path.of(argv[++i]);
            } else if (argv[i].equals("--ping")) {
                ping = true;
            } else if (argv[i].equals("--")) {
                i++;
                break;
            } else {
                break;
            }
        }
        args.addAll(Arrays.asList(argv).subList(i, argv.length));
        if (socket == null || (!ping && args.isEmpty())) {
            System.err.println("usage: VmlabClient --socket PATH [--ping] [--] command [args...]");
            return ControlProtocol.EXIT_USAGE;
        }
        int flags = System.console() != null ? ControlProtocol.FLAG_STDOUT_TTY : 0;
        int columns = columns();
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                if (!ping) {
                    System.err.println("Error: no vmlab instance answers on " + socket + " (" + e.getMessage() + ")");
                }
                return EXIT_NO_INSTANCE;
            }
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel)));
            ControlProtocol.writeRequest(out, new Request(flags, columns, System.getProperty("user.dir", ""), ping ? List.of() : args));
            return copyFrames(new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel))));
        } catch (IOException e) {
            System.err.println("Error: lost the vmlab instance during the command (" + e.getMessage() + ")");
            return EXIT_NO_INSTANCE;
        }
    }

    private static int copyFrames(DataInputStream in) throws IOException {
        byte[] buf = new byte[8192];
        while (true) {
            byte type;
            try {
                type = in.readByte();
            } catch (EOFException e) {
                throw new IOException("the instance closed the connection before the command ended");
            }
            int len = in.readInt();
            if (len < 0 || len > ControlProtocol.MAX_FRAME_BYTES) {
                throw new IOException("bad frame length " + len);
            }
            if (type == ControlProtocol.FRAME_EXIT) {
                return in.readInt();
            }
            OutputStream target = switch (type) {
                case ControlProtocol.FRAME_STDOUT -> System.out;
                case ControlProtocol.FRAME_STDERR -> System.err;
                default -> throw new IOException("unknown frame type " + type);
            };
            while (len > 0) {
                int n = in.read(buf, 0, Math.min(len, buf.length));
                if (n < 0) {
                    throw new IOException("output ended inside a frame");
                }
                target.write(buf, 0, n);
                len -= n;
            }
            target.flush();
        }
    }

    private static int columns() {
        try {
            return Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "120"));
        } catch (NumberFormatException e) {
            return 120;
        }
    }
}
