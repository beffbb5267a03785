package org.vmlab.experiment.action;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** One blocking connection speaking memcached's text protocol: just {@code set} and {@code get}. */
final class MemcachedClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    MemcachedClient(InetSocketAddress server) throws IOException {
        socket = new Socket();
        socket.connect(server, 5000);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(10_000);
        in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
        out = socket.getOutputStream();
    }

    void set(String key, byte[] value) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(value.length + 64);
        b.writeBytes(("set " + key + " 0 0 " + value.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(value);
        b.writeBytes(new byte[] {'\r', '\n'});
        b.writeTo(out);
        String reply = line();
        if (!"STORED".equals(reply)) {
            throw new IOException("set " + key + ": " + reply);
        }
    }

    /** The value stored under {@code key}, or {@code null} on a miss. */
    byte[] get(String key) throws IOException {
        out.write(("get " + key + "\r\n").getBytes(StandardCharsets.US_ASCII));
        String head = line();
        if ("END".equals(head)) {
            return null;
        }
        String[] f = head.split(" ");
        if (f.length < 4 || !"VALUE".equals(f[0]) || !key.equals(f[1])) {
            throw new IOException("get " + key + ": " + head);
        }
        byte[] value = in.readNBytes(Integer.parseInt(f[3]) + 2);
        String end = line();
        if (!"END".equals(end)) {
            throw new IOException("get " + key + ": " + end + " where END was due");
        }
        return Arrays.copyOf(value, value.length - 2);
    }

    private String line() throws IOException {
        StringBuilder b = new StringBuilder(32);
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("the server closed the connection");
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
