package org.vmlab.cli.server;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;

import org.vmlab.cli.protocol.ControlProtocol;

/** Wraps what a command prints to one of its streams into frames of the control protocol. */
final class FrameOutputStream extends OutputStream {
    private final DataOutputStream out;
    private final byte type;

    /** {@code out} is shared by the stdout and stderr frame streams; writes lock on it. */
    FrameOutputStream(DataOutputStream out, byte type) {
        this.out = out;
        this.type = type;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        synchronized (out) {
            while (len > 0) {
                int n = Math.min(len, ControlProtocol.MAX_FRAME_BYTES);
                ControlProtocol.writeFrame(out, type, b, off, n);
                off += n;
                len -= n;
            }
        }
    }

    @Override
    public void flush() throws IOException {
        synchronized (out) {
            out.flush();
        }
    }
}
