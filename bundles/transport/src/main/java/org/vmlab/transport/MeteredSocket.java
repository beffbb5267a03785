package org.vmlab.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/**
 * A TCP socket whose streams go through a {@link Wire}. A TLS socket layered on top reads and
 * writes through these streams, so TLS bytes are rate limited and counted like any other.
 */
final class MeteredSocket extends Socket {
    private volatile Wire wire;

    void attach(Wire w) {
        this.wire = w;
    }

    @Override
    public InputStream getInputStream() throws IOException {
        Wire w = wire;
        return w == null ? super.getInputStream() : w.in(super.getInputStream());
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
        Wire w = wire;
        return w == null ? super.getOutputStream() : w.out(super.getOutputStream());
    }
}
