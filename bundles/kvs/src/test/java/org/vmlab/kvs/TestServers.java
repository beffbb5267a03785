package org.vmlab.kvs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.vmlab.api.kvs.KvsServer;
import org.vmlab.tiering.DefaultTieringService;
import org.vmlab.tiering.TieringSettings;

/**
 * Servers for tests: a tiering service with a fixed calibration (so no test spends seconds
 * measuring the host), and key-value servers on free loopback ports.
 */
final class TestServers implements AutoCloseable {
    final DefaultTieringService tiering;
    final DefaultKvsService kvs;

    TestServers(Path dir) throws IOException {
        Path cal = dir.resolve("calibration.properties");
        Files.writeString(cal, String.join("\n", "clockNanos=700", "spinOvershootNanos=20", "paymentNanos=600",
                "hostReadNanos=150", "hostWriteBackNanos=160", "bufferBytes=67108864", "measuredAtMillis=0",
                "host=test") + "\n");
        tiering = new DefaultTieringService(new TieringSettings(dir.resolve("memory"), cal, 10_000, 100));
        kvs = new DefaultKvsService(tiering);
    }

    /** A server on a free port with these options (key=value pairs) over small defaults. */
    KvsServer start(String... options) {
        Map<String, String> o = new HashMap<>(Map.of("port", "0", "dram", "8m", "nvm", "16m", "threads", "2"));
        for (String kv : options) {
            o.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        return kvs.start(null, o);
    }

    @Override
    public void close() {
        kvs.close();
        tiering.close();
    }

    /** A plain text-protocol client: send lines, read lines. */
    static final class Client implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        Client(KvsServer server) throws IOException {
            socket = new Socket("127.0.0.1", server.address().getPort());
            socket.setSoTimeout(10_000);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        void send(String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        void send(byte[] b) throws IOException {
            out.write(b);
            out.flush();
        }

        /** One reply line without its CRLF; null at end of stream. */
        String line() throws IOException {
            StringBuilder b = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    int n = b.length();
                    return n > 0 && b.charAt(n - 1) == '\r' ? b.substring(0, n - 1) : b.toString();
                }
                b.append((char) c);
            }
            return b.length() == 0 ? null : b.toString();
        }

        String ask(String command) throws IOException {
            send(command);
            return line();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
