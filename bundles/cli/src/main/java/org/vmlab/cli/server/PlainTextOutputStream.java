package org.vmlab.cli.server;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Drops ANSI control sequences (CSI: {@code ESC [ parameters final-byte}, e.g. bold
 * {@code ESC[1m}) from what a command prints, for a client whose output is a file or a pipe:
 * Karaf's command help writes bold headings whatever the output. Sequences split across writes
 * are recognised; other bytes, and escapes that are not CSI, pass unchanged.
 */
final class PlainTextOutputStream extends FilterOutputStream {
    private static final int ESC = 0x1B;

    private enum State { TEXT, ESCAPE, SEQUENCE }

    private State state = State.TEXT;

    PlainTextOutputStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        int run = off; // start of the bytes to pass on as they are
        int end = off + len;
        for (int i = off; i < end; i++) {
            int c = b[i] & 0xFF;
            switch (state) {
                case TEXT -> {
                    if (c == ESC) {
                        out.write(b, run, i - run);
                        state = State.ESCAPE;
                    }
                }
                case ESCAPE -> {
                    if (c == '[') {
                        state = State.SEQUENCE;
                    } else {
                        out.write(ESC); // not CSI: leave it as it was
                        state = c == ESC ? State.ESCAPE : State.TEXT;
                        run = c == ESC ? i + 1 : i;
                    }
                }
                case SEQUENCE -> {
                    if (c >= 0x40 && c <= 0x7E) { // final byte
                        state = State.TEXT;
                        run = i + 1;
                    } else if (c < 0x20 || c > 0x3F) { // not a parameter or intermediate: malformed
                        state = State.TEXT;
                        run = i;
                    }
                }
            }
        }
        if (state == State.TEXT) {
            out.write(b, run, end - run);
        }
    }

    @Override
    public void close() throws IOException {
        if (state == State.ESCAPE) {
            out.write(ESC);
        }
        super.close();
    }
}
